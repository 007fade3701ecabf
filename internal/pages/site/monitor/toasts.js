// Help requests as pop-ups: one per agent whose help icon is red, with an
// Assist button. A pop-up lives exactly as long as the request: when any
// supervisor starts assisting, or the agent cancels, the agent's row stops
// saying "requested" for everyone, and the pop-up closes on every monitor.

import {stateWords} from './words.js';

// SHOWN is how many pop-ups are shown at once; the rest are counted.
const SHOWN = 3;

export class HelpToasts {
  /**
   * el holds the pop-ups; onAssist(name) and onShow(name) are the buttons'
   * actions; canAssist(row) says {allowed, why}.
   */
  constructor({el, onAssist, onShow, canAssist}) {
    this.el = el;
    this.onAssist = onAssist;
    this.onShow = onShow;
    this.canAssist = canAssist;
    this.toasts = new Map(); // agent → {el, row, order}
    this.dismissed = new Set(); // agents whose pop-up this supervisor closed
    this.notes = new Map(); // agent → why the request is open again
    this.seq = 0;
    this.more = document.createElement('p');
    this.more.className = 'toast-more';
    this.more.hidden = true;
  }

  /** Follows one agent row. */
  update(row) {
    const t = this.toasts.get(row.name);
    if (row.help !== 'requested') {
      this.dismissed.delete(row.name);
      this.notes.delete(row.name);
      if (t) this.remove(row.name);
      return;
    }
    if (this.dismissed.has(row.name)) return;
    if (t) {
      t.row = row;
      this.fill(t);
      return;
    }
    const nt = {row, order: ++this.seq, el: this.build(row.name)};
    this.toasts.set(row.name, nt);
    this.fill(nt);
    this.layout();
  }

  /** Keeps only the pop-ups of rows still asking (after a snapshot). */
  sync(rows) {
    const asking = new Set(rows.filter((r) => r.help === 'requested').map((r) => r.name));
    for (const name of [...this.toasts.keys()]) if (!asking.has(name)) this.remove(name);
    for (const r of rows) this.update(r);
  }

  /**
   * Says on an agent's pop-up why their request is open again (an assist
   * that ended before it was answered); the words go with the request.
   */
  note(name, words) {
    this.notes.set(name, words);
    const t = this.toasts.get(name);
    if (t) this.fill(t);
  }

  /** The agents with a pop-up open. */
  open() {
    return [...this.toasts.keys()];
  }

  remove(name) {
    const t = this.toasts.get(name);
    if (!t) return;
    this.toasts.delete(name);
    t.el.remove();
    this.layout();
  }

  build(name) {
    const el = document.getElementById('toast-tpl').content.firstElementChild.cloneNode(true);
    el.dataset.agent = name;
    el.querySelector('.toast-assist').addEventListener('click', () => {
      if (el.querySelector('.toast-assist').getAttribute('aria-disabled') !== 'true') this.onAssist(name);
    });
    el.querySelector('.toast-show').addEventListener('click', () => this.onShow(name));
    el.querySelector('.toast-close').addEventListener('click', () => {
      this.dismissed.add(name);
      this.remove(name);
    });
    return el;
  }

  fill(t) {
    const a = t.row;
    const display = a.display || a.name;
    const el = t.el;
    el.querySelector('.toast-name').textContent = display;
    const call = a.call && (a.state === 'on_call' || a.state === 'ringing') ? [a.queue, a.caller].filter(Boolean).join(' · ') : '';
    el.querySelector('.toast-text').textContent = [stateWords(a), call].filter(Boolean).join(' · ');
    const note = el.querySelector('.toast-note');
    note.textContent = this.notes.get(a.name) || '';
    note.hidden = !note.textContent;
    el.querySelector('.toast-close').setAttribute('aria-label', `Dismiss ${display}'s help request`);
    const can = this.canAssist(a);
    const btn = el.querySelector('.toast-assist');
    btn.setAttribute('aria-disabled', String(!can.allowed));
    btn.title = can.allowed ? `Assist ${display}` : can.why;
    const why = el.querySelector('.toast-why');
    why.hidden = can.allowed || !can.why;
    why.textContent = can.allowed ? '' : can.why;
  }

  // layout shows the oldest requests first, and counts the rest.
  layout() {
    const all = [...this.toasts.values()].sort((a, b) => a.order - b.order);
    const kids = [];
    all.forEach((t, i) => {
      t.el.hidden = i >= SHOWN;
      kids.push(t.el);
    });
    const extra = all.length - SHOWN;
    this.more.hidden = extra <= 0;
    this.more.textContent = extra > 0 ? `${extra} more ${extra === 1 ? 'agent asks' : 'agents ask'} for help: sort the table by Help to see them.` : '';
    kids.push(this.more);
    // Keep existing nodes in place (no re-announcing): append only what moved.
    for (const k of kids) if (k.parentNode !== this.el) this.el.append(k);
    if (this.more.nextSibling) this.el.append(this.more);
  }
}
