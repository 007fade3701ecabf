// What the monitor says: state names, help words, how an assist ended,
// figures as people read them. Nothing here touches the page.

import {sentence, reopenedWords} from '/shared/words.js';
import {clock} from '/shared/api.js';

/** Agent states in words. */
export const STATE_LABEL = {
  available: 'Available',
  not_ready: 'Not Ready',
  ringing: 'Ringing',
  on_call: 'On Call',
  acw: 'After Call Work',
  offline: 'Offline',
};

/** The order states sort in: the busiest first. */
export const STATE_ORDER = {on_call: 0, ringing: 1, acw: 2, not_ready: 3, available: 4, offline: 5};

/** The help icon in words: colour is never the only signal. */
export const HELP_WORDS = {none: '—', requested: 'Help requested', assisting: 'Being assisted'};

/** Help states as the sort sees them: a request first. */
export const HELP_ORDER = {requested: 0, assisting: 1, none: 2};

/** Assist modes in words. */
export const MODE_LABEL = {ringing: 'Ringing', listen: 'Listening', talk: 'Talking', takeover: 'Taken over', ended: 'Ended'};

export {sentence, reopenedWords};

/** The state of an agent row in words, with the Not Ready reason. */
export function stateWords(a) {
  const label = STATE_LABEL[a.state] || a.state || 'Unknown';
  return a.state === 'not_ready' && a.reason ? `${label} · ${a.reason}` : label;
}

/** Seconds as m:ss, or '—' when there is nothing to show. */
export function seconds(s) {
  return s > 0 ? clock(s * 1000) : '—';
}

/** A fraction 0..1 as a whole percentage. */
export function percent(f) {
  return typeof f === 'number' && isFinite(f) ? `${Math.round(f * 100)}%` : '—';
}

/** A date as the time of day, with the day when it is not today. */
export function when(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const t = d.toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return t;
  return `${d.toLocaleDateString([], {day: 'numeric', month: 'short'})} ${t}`;
}

/**
 * Why a session of mine ended, as a notice; '' when the supervisor chose it
 * (Close) and nothing needs saying. agent is the agent's display name,
 * ringSeconds how long a session rings (0: not known), kind "assist" or
 * "listen", device the endpoint's kind ("web" for the web client).
 */
export function endedWords(reason, agent, ringSeconds, kind = 'assist', device = 'phone') {
  const r = String(reason || '');
  const dev = device === 'web' ? 'web client' : 'phone';
  const what = kind === 'listen' ? `listening in on ${agent}` : `the assist on ${agent}'s call`;
  const What = what[0].toUpperCase() + what.slice(1);
  if (r === 'closed') return '';
  if (r === 'no answer') {
    const within = ringSeconds > 0 ? `within ${ringSeconds} second${ringSeconds === 1 ? '' : 's'}` : 'in time';
    return `Your ${dev} was not answered ${within}, so ${what} did not start.`;
  }
  if (r.startsWith('not reached')) {
    const why = r.slice('not reached'.length).replace(/^:\s*/, '');
    return `Your ${dev} could not be rung${why ? ` (${why})` : ''}, so ${what} did not start.`;
  }
  switch (r) {
    case 'customer hung up':
      return `The customer hung up. ${What} has ended.`;
    case 'agent hung up':
      return `${agent} hung up. ${What} has ended.`;
    case 'supervisor hung up':
    case 'listener hung up':
      return `You hung up your ${dev}, so ${what} has ended.`;
    case 'call ended':
      return `${agent}'s call ended, and ${what} with it.`;
    case 'call taken over':
      return `A supervisor took the call over, so ${what} has ended.`;
    case 'listen-in turned off':
      return `${agent} turned Let Listen In off, so ${what} has ended.`;
    case 'server restart':
      return `earshot restarted, so ${what} has ended.`;
  }
  if (r.startsWith('call ended by ')) return `The call was ended by ${r.slice('call ended by '.length)}; ${what} has ended.`;
  return `${What} has ended (${r || 'no reason given'}).`;
}

/** How an audited session ended, in a few words. */
export function auditEnd(reason) {
  const r = String(reason || '');
  const words = {
    closed: 'Closed by the supervisor',
    'no answer': 'Not answered',
    'customer hung up': 'Customer hung up',
    'agent hung up': 'Agent hung up',
    'supervisor hung up': 'Supervisor hung up',
    'listener hung up': 'Listener hung up',
    'call ended': 'Call ended',
    'listen-in turned off': 'Let Listen In turned off',
    'call taken over': 'Call taken over',
    'server restart': 'Server restarted',
  }[r];
  if (words) return words;
  if (r.startsWith('not reached')) return sentence(r).replace(/\.$/, '');
  return r ? sentence(r).replace(/\.$/, '') : '';
}

