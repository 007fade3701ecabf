// Words every page uses: the server's phrases made into sentences, and why
// a help request is open again.

/** Makes a server's phrase a sentence: capital first, full stop last. */
export function sentence(s) {
  s = String(s || '').trim();
  if (!s) return '';
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?…]$/.test(s) ? s : s + '.';
}

/**
 * Says why a help request is open again after an assist that was not
 * answered: sup is who tried ("You" for the reader), reason how the assist
 * ended before it was answered.
 */
export function reopenedWords(sup, reason) {
  const r = String(reason || '');
  const whose = sup === 'You' ? 'Your' : `${sup}'s`;
  if (r === 'no answer') return `${whose} assist was not answered; the request is open again.`;
  if (r.startsWith('not reached')) return `${sup === 'You' ? 'You' : sup} could not be reached; the request is open again.`;
  if (r === 'closed') return `${whose} assist was closed before it was answered; the request is open again.`;
  return `${whose} assist ended before it was answered; the request is open again.`;
}
