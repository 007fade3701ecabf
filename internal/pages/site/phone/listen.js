// The "Listen in" card of /phone: for users with the listen-in permission,
// the team mates who let colleagues listen and are on a call, a Listen
// button each, and Stop. The audio comes to this page's own web phone:
// the ring a Listen starts is answered here at once. Agents get no
// colleagues' rows on the event stream; a bare {"type":"listenable"} says
// something happened to a team mate, and the list is asked for then, at
// once after each change of this user's listen-in, and now and then in
// case a hint was missed (a reconnect).

import {api, clock, text} from '/shared/api.js';
import {sentence} from '/shared/words.js';

const $ = (id) => document.getElementById(id);

// POLL is how often the list is asked for while the card shows, with no
// hint from the event stream; SOON gathers a burst of hints into one ask.
const POLL = 30000;
const SOON = 500;

/** Why this user's listen-in ended, in words; '' when they chose it. */
export function listenEndedWords(reason, agent) {
  const r = String(reason || '');
  switch (r) {
    case 'closed':
    case 'listener hung up':
      return '';
    case 'listen-in turned off':
      return `${agent} turned Let Listen In off, so your listen-in has ended.`;
    case 'customer hung up':
      return `The customer hung up. Your listen-in on ${agent}'s call has ended.`;
    case 'agent hung up':
    case 'call ended':
      return `${agent}'s call ended, and your listen-in with it.`;
    case 'call taken over':
      return `A supervisor took ${agent}'s call over, so your listen-in has ended.`;
    case 'no answer':
      return `This page did not pick up in time, so the listen-in on ${agent} did not start. Try again.`;
    case 'server restart':
      return 'earshot restarted, so your listen-in has ended.';
  }
  if (r.startsWith('not reached')) return `This page could not be rung, so the listen-in on ${agent} did not start. Try again.`;
  return `Your listen-in on ${agent}'s call has ended${r ? ` (${r})` : ''}.`;
}

/**
 * ListenIn owns the card's state. onChange() asks the page to draw;
 * answer(callId) answers a ring on this page's web phone.
 */
export class ListenIn {
  constructor({onChange, answer}) {
    this.onChange = onChange;
    this.answer = answer;
    this.me = '';
    this.allowed = false; // the user has the listen-in permission
    this.mates = []; // GET /api/v1/me/listenable's colleagues
    this.loaded = false;
    this.session = null; // this user's live listen-in: {id, agent, display, mode}
    this.wanted = ''; // the agent a Listen was just asked for, until its ring comes
    this.busy = ''; // the agent whose button is waiting for the server
    this.note = null; // {kind, text}: the last thing worth saying
    this.timer = 0;
    this.hinted = 0; // a refresh the event stream asked for, soon
    this.seq = 0; // the latest request's number: an older answer is ignored
  }

  /** Starts the card for the signed-in user (GET /api/v1/me's answer). */
  start(me) {
    this.stop();
    this.me = me.user;
    this.allowed = !!me.listen_in;
    this.mates = [];
    this.loaded = false;
    this.session = null;
    this.note = null;
    if (this.allowed) this.refresh();
  }

  /** Stops asking (sign-out, another window took over). */
  stop() {
    clearTimeout(this.timer);
    clearTimeout(this.hinted);
    this.timer = 0;
    this.hinted = 0;
    this.seq++;
    this.allowed = false;
    this.session = null;
    this.wanted = '';
  }

  /** Takes the event stream's hint that a team mate's state or Let Listen In changed. */
  onHint() {
    if (!this.allowed || this.hinted) return;
    this.hinted = setTimeout(() => {
      this.hinted = 0;
      this.refresh();
    }, SOON);
  }

  /** Asks for the list now, then every POLL ms. */
  async refresh() {
    if (!this.allowed) return;
    const seq = ++this.seq;
    try {
      const out = await api('GET', '/api/v1/me/listenable');
      if (seq !== this.seq) return;
      this.mates = out.colleagues || [];
      this.loaded = true;
      const mine = this.mates.find((m) => m.session);
      if (mine) this.session = this.fromServer(mine.session);
      else if (this.session && this.session.mode !== 'ringing') this.session = null;
    } catch (e) {
      if (seq !== this.seq) return;
      if (e.status === 403) {
        this.allowed = false; // the permission was taken away
        this.onChange();
        return;
      }
    }
    // Cleared only now: a refresh asked for while this one waited must
    // not leave two loops running.
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.refresh(), POLL);
    this.onChange();
  }

  fromServer(s) {
    return {id: s.id, agent: s.agent, display: s.agent_display || s.agent, mode: s.mode};
  }

  displayOf(agent) {
    const m = this.mates.find((x) => x.name === agent);
    return (m && m.display) || (this.session && this.session.agent === agent && this.session.display) || agent;
  }

  /** Listens in on agent, with the audio on this page. */
  async listen(agent) {
    if (this.busy) return;
    this.busy = agent;
    this.note = null;
    this.wanted = agent;
    this.onChange();
    try {
      const out = await api('POST', '/api/v1/me/listens', {agent});
      if (!this.session || this.session.id !== out.session.id) this.session = this.fromServer(out.session);
    } catch (e) {
      this.wanted = '';
      this.note = {kind: 'bad', text: sentence(e.message)};
    } finally {
      this.busy = '';
    }
    this.refresh();
  }

  /** Stops this user's listen-in. */
  async stopListening() {
    const s = this.session;
    if (!s || this.busy) return;
    this.busy = s.agent;
    this.onChange();
    try {
      await api('DELETE', `/api/v1/listens/${encodeURIComponent(s.id)}`);
      this.session = null;
      this.note = {kind: 'info', text: `You stopped listening in on ${s.display}.`};
    } catch (e) {
      this.note = {kind: 'bad', text: sentence(e.message)};
    } finally {
      this.busy = '';
    }
    this.refresh();
  }

  /** Takes a listen.session event of this user's; true when it was one. */
  onEvent(e) {
    if (e.kind !== 'listen.session' || e.actor !== this.me) return false;
    const agent = this.displayOf(e.agent);
    if (e.state === 'ended') {
      if (!this.session || this.session.id === e.detail) this.session = null;
      const words = listenEndedWords(e.reason, agent);
      if (words) this.note = {kind: e.reason === 'listen-in turned off' ? 'warn' : 'info', text: words, reason: e.reason};
    } else {
      this.session = {id: e.detail, agent: e.agent, display: agent, mode: e.state};
      if (e.state === 'listen') this.note = null;
    }
    this.refresh();
    return true;
  }

  /**
   * Takes a ring of this page's web phone: the ring of a listen-in this
   * page asked for is answered at once. True when it did so.
   */
  onRinging(msg) {
    if (msg.kind !== 'listen' || !msg.agent) return false;
    const mine = msg.agent === this.wanted || (this.session && this.session.agent === msg.agent && this.session.mode === 'ringing');
    if (!mine) return false;
    this.wanted = '';
    this.answer(msg.call);
    return true;
  }

  /**
   * Draws the card. v: audioUp (this page's audio is connected) and
   * onCall (this page has a call of its own, ringing or connected).
   */
  render(v) {
    const card = $('colleagues-card');
    card.hidden = !this.allowed;
    if (card.hidden) return;
    const now = Date.now();
    const s = this.session;
    const status = $('colleagues-status');
    const said = this.note ? this.note.text : s ? (s.mode === 'listen' ? `Listening in on ${s.display}'s call. Nobody hears you.` : `Connecting you to ${s.display}'s call…`) : '';
    text(status, said);
    status.hidden = !said;
    status.dataset.kind = this.note ? this.note.kind : s ? 'live' : '';
    status.dataset.reason = (this.note && this.note.reason) || '';

    const list = $('colleagues-list');
    const shown = new Map([...list.children].map((li) => [li.dataset.agent, li]));
    const names = new Set(this.mates.map((m) => m.name));
    if (s && !names.has(s.agent)) names.add(s.agent); // listening still, until the server says otherwise
    for (const [name, li] of shown) if (!names.has(name)) li.remove();
    const rows = this.mates.slice();
    if (s && !this.mates.some((m) => m.name === s.agent)) rows.push({name: s.agent, display: s.display});
    let before = null;
    for (const m of rows) {
      let li = shown.get(m.name);
      if (!li) li = this.row(m.name);
      this.drawRow(li, m, v, now);
      if (li.previousElementSibling !== before || li.parentNode !== list) {
        if (before) before.after(li);
        else list.prepend(li);
      }
      before = li;
    }
    $('colleagues-empty').hidden = !this.loaded || rows.length > 0;
    $('colleagues-loading').hidden = this.loaded;
  }

  row(name) {
    const li = document.createElement('li');
    li.className = 'mate';
    li.dataset.agent = name;
    const avatar = document.createElement('span');
    avatar.className = 'mate-avatar';
    avatar.setAttribute('aria-hidden', 'true');
    const who = document.createElement('div');
    who.className = 'mate-who';
    const nm = document.createElement('span');
    nm.className = 'mate-name';
    const meta = document.createElement('span');
    meta.className = 'mate-meta muted num';
    who.append(nm, meta);
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'btn btn-sm mate-action';
    btn.addEventListener('click', () => (li.dataset.listening === 'true' ? this.stopListening() : this.listen(name)));
    li.append(avatar, who, btn);
    return li;
  }

  drawRow(li, m, v, now) {
    const [avatar, who, btn] = li.children;
    const display = m.display || m.name;
    text(avatar, initials(display));
    text(who.firstChild, display);
    const parts = ['On a call'];
    if (m.queue) parts.push(m.queue);
    if (m.call_since) parts.push(clock(now - Date.parse(m.call_since)));
    if (m.listen_in === 'call') parts.push('this call only');
    text(who.lastChild, parts.join(' · '));
    const s = this.session && this.session.agent === m.name ? this.session : null;
    li.dataset.listening = String(!!s);
    li.dataset.mode = s ? s.mode : '';
    const waiting = this.busy === m.name;
    if (s) {
      text(btn, s.mode === 'ringing' ? 'Cancel' : 'Stop');
      btn.className = 'btn btn-sm mate-action btn-danger';
      btn.disabled = waiting;
      btn.title = '';
      btn.setAttribute('aria-label', `Stop listening in on ${display}`);
      return;
    }
    text(btn, waiting ? 'Connecting…' : 'Listen');
    btn.className = 'btn btn-sm mate-action';
    const why = !v.audioUp ? 'Your audio is still connecting.' : this.session ? 'You are listening in on another call.' : v.onCall ? 'You are on a call.' : '';
    btn.disabled = waiting || !!why || !!this.busy;
    btn.title = why;
    btn.setAttribute('aria-label', `Listen in on ${display}'s call` + (why ? ` (${why.replace(/\.$/, '')})` : ''));
  }
}

function initials(name) {
  const parts = String(name).trim().split(/\s+/).filter(Boolean);
  const first = parts[0] ? parts[0][0] : '?';
  const last = parts.length > 1 ? parts[parts.length - 1][0] : '';
  return (first + last).toUpperCase();
}
