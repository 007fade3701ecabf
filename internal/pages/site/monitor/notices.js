// Notices: what the monitor needs to say that belongs to no row and no
// panel (a refusal, a confirmation), bottom left, out of the table's way.

import {asUser} from '/shared/api.js';

const $ = (id) => document.getElementById(id);

// SHOWN is how many notices are shown at once; the oldest go first.
const SHOWN = 4;

// notify shows a notice; problems stay until dismissed, good news fades.
// action is {label, href} or {label, run}.
export function notify(kind, words, action) {
  const box = $('notices');
  const el = document.createElement('div');
  el.className = `notice notice-${kind}`;
  el.setAttribute('role', kind === 'bad' ? 'alert' : 'status');
  const p = document.createElement('span');
  p.className = 'notice-words';
  p.textContent = words;
  el.append(p);
  if (action) {
    const a = document.createElement(action.href ? 'a' : 'button');
    a.className = 'btn btn-sm';
    a.textContent = action.label;
    if (action.href) {
      a.href = asUser(action.href);
      a.target = '_blank';
      a.rel = 'noopener';
    } else {
      a.type = 'button';
      a.addEventListener('click', () => {
        el.remove();
        action.run();
      });
    }
    el.append(a);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'btn btn-quiet notice-close';
  close.textContent = 'Dismiss';
  close.setAttribute('aria-label', 'Dismiss: ' + words);
  close.addEventListener('click', () => el.remove());
  el.append(close);
  while (box.children.length >= SHOWN) box.firstElementChild.remove();
  box.append(el);
  if (kind === 'good' || kind === 'info') setTimeout(() => el.remove(), 8000);
}
