// The assist panel: the supervisor's live assist session, its mode and
// its controls. Talk is press and hold, by pointer or by the space bar:
// pressing asks for talk, releasing for listen, and the requests go out in
// order. The panel also says, plainly, when a session ended for a reason
// the supervisor did not choose.

import {api, clock} from '/shared/api.js';
import {MODE_LABEL, endedWords, sentence} from './words.js';

const $ = (id) => document.getElementById(id);

export class AssistPanel {
  /**
   * me is the supervisor's user name; who(user) and agentName(name) give
   * display names; callOf(agent) gives {queue, caller} of the agent's
   * call; notify(kind, words) shows a notice; ringSeconds is how long an
   * assist rings (0 when the server does not say); onChange(agents) is
   * told which agents' sessions changed.
   */
  constructor({me, who, agentName, callOf, notify, ringSeconds, onChange}) {
    this.me = me;
    this.who = who;
    this.agentName = agentName;
    this.callOf = callOf;
    this.notify = notify;
    this.ringSeconds = ringSeconds;
    this.onChange = onChange;
    this.sessions = new Map(); // id → my live assist session
    this.shownId = ''; // the session the panel shows
    this.ended = null; // {agent, call, text}: the notice shown after a session ended
    this.notes = new Map(); // id → a note about the session (another supervisor took over)
    this.holding = ''; // '', 'pointer' or 'key': Talk is held
    this.chain = Promise.resolve(); // mode requests, in order
    this.el = $('assist-panel');
    this.bind();
  }

  /** The session the panel shows, or null. */
  current() {
    return this.sessions.get(this.shownId) || null;
  }

  /** My live session on agent, or null. */
  onAgent(agent) {
    for (const s of this.sessions.values()) if (s.agent === agent) return s;
    return null;
  }

  /** Replaces my sessions with the server's list (on every connect). */
  setSessions(list) {
    const before = new Set([...this.sessions.values()].map((s) => s.agent));
    this.sessions.clear();
    for (const s of list) {
      if ((s.kind === 'assist' || s.kind === 'listen') && s.user === this.me) this.sessions.set(s.id, this.fromServer(s));
    }
    if (!this.sessions.has(this.shownId)) this.shownId = this.newestId();
    for (const s of this.sessions.values()) before.add(s.agent);
    this.onChange([...before]);
    this.render();
  }

  /** Adds a session I just started (POST …/assist answered). */
  started(s) {
    this.ended = null;
    // Its events may have come first: they are newer than this answer.
    const cur = this.sessions.get(s.id);
    if (!cur) this.sessions.set(s.id, this.fromServer(s));
    else if (!cur.endpoint.kind) cur.endpoint = s.endpoint || {};
    this.shownId = s.id;
    this.onChange([s.agent]);
    this.render();
  }

  fromServer(s) {
    const old = this.sessions.get(s.id);
    const call = this.callOf(s.agent) || {};
    return {
      id: s.id,
      kind: s.kind || 'assist',
      agent: s.agent,
      call: s.call,
      queue: s.queue || (old && old.queue) || call.queue || '',
      caller: (old && old.caller) || call.caller || '',
      mode: s.mode,
      started: Date.parse(s.started) || Date.now(),
      answered: old ? old.answered : s.mode !== 'ringing' ? Date.parse(s.mode_since) || Date.now() : 0,
      endpoint: s.endpoint || {},
    };
  }

  newestId() {
    let best = null;
    for (const s of this.sessions.values()) if (!best || s.started > best.started) best = s;
    return best ? best.id : '';
  }

  /** Follows an assist.mode event. */
  onEvent(e) {
    const id = e.detail;
    if (e.actor !== this.me) {
      // Another supervisor took over a call I am on.
      if (e.state === 'takeover') {
        for (const s of this.sessions.values()) {
          if (s.call === e.call) this.notes.set(s.id, `${this.who(e.actor)} has taken the call over; ${this.agentName(s.agent)} has left it.`);
        }
        this.render();
      }
      return;
    }
    if (e.state === 'ended') {
      const s = this.sessions.get(id);
      const agent = s ? s.agent : e.agent;
      const kind = s ? s.kind : e.kind === 'listen.session' ? 'listen' : 'assist';
      this.sessions.delete(id);
      this.notes.delete(id);
      const words = endedWords(e.reason, this.agentName(agent), this.ringSeconds, kind, s && s.endpoint && s.endpoint.kind);
      if (this.shownId === id || !this.shownId) {
        this.releaseTalk(false);
        this.shownId = this.newestId();
        this.ended = words ? {agent, kind, call: e.call, text: words} : null;
      } else if (words) {
        this.notify('warn', words);
      }
      this.onChange([agent]);
      this.render();
      return;
    }
    const old = this.sessions.get(id);
    const at = Date.parse(e.at) || Date.now();
    const call = this.callOf(e.agent) || {};
    const kind = e.kind === 'listen.session' ? 'listen' : 'assist';
    const s = old || {id, kind, agent: e.agent, call: e.call, queue: e.queue || call.queue || '', caller: call.caller || '', started: at, answered: 0, endpoint: {}};
    s.mode = e.state;
    if (e.state !== 'ringing' && !s.answered) s.answered = at;
    this.sessions.set(id, s);
    if (!old) {
      this.shownId = id;
      this.ended = null;
      this.onChange([s.agent]);
    }
    if (e.state === 'takeover' && this.shownId === id) this.holding = '';
    this.render();
  }

  /** Updates the timer: the shared ticker calls it. */
  tick() {
    if (!this.el.hidden) this.renderTimer(Date.now());
  }

  // ---- Actions -------------------------------------------------------------

  request(mode) {
    const s = this.current();
    if (!s) return;
    const id = s.id;
    this.chain = this.chain
      .then(() => api('PUT', `/api/v1/assists/${encodeURIComponent(id)}`, {mode}))
      .then((out) => {
        const now = out && out.session;
        const cur = this.sessions.get(id);
        if (now && cur && now.mode) {
          if (now.mode !== 'ringing' && !cur.answered) cur.answered = Date.parse(now.mode_since) || Date.now();
          cur.mode = now.mode;
          this.render();
        }
      })
      .catch((err) => {
        this.notify('bad', sentence(err.message));
        this.render();
      });
    return this.chain;
  }

  pressTalk(by) {
    const s = this.current();
    if (!s || s.kind !== 'assist' || this.holding || (s.mode !== 'listen' && s.mode !== 'talk')) return;
    this.holding = by;
    this.render();
    this.request('talk');
  }

  releaseTalk(send = true) {
    if (!this.holding) return;
    this.holding = '';
    this.render();
    const s = this.current();
    if (send && s && (s.mode === 'talk' || s.mode === 'listen')) this.request('listen');
  }

  async close() {
    const s = this.current();
    if (this.ended && !s) {
      this.ended = null;
      this.render();
      return;
    }
    if (!s) return;
    this.releaseTalk(false);
    try {
      await this.chain;
      await api('DELETE', s.kind === 'listen' ? `/api/v1/listens/${encodeURIComponent(s.id)}` : `/api/v1/assists/${encodeURIComponent(s.id)}`);
      this.sessions.delete(s.id);
      this.notes.delete(s.id);
      this.shownId = this.newestId();
      this.onChange([s.agent]);
    } catch (err) {
      this.notify('bad', sentence(err.message));
    }
    this.render();
  }

  bind() {
    const talk = $('assist-talk');
    talk.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      this.pressTalk('pointer');
    });
    const up = () => {
      if (this.holding === 'pointer') this.releaseTalk();
    };
    talk.addEventListener('pointerup', up);
    talk.addEventListener('pointerleave', up);
    talk.addEventListener('pointercancel', up);
    talk.addEventListener('contextmenu', (e) => e.preventDefault());
    // Enter (a click without a pointer) switches talk on and off, for
    // those who cannot hold a key.
    talk.addEventListener('click', (e) => {
      if (e.detail !== 0) return;
      const s = this.current();
      if (s && s.mode === 'talk') this.request('listen');
      else if (s && s.mode === 'listen') this.request('talk');
    });
    window.addEventListener('blur', () => this.releaseTalk());
    document.addEventListener('keydown', (e) => {
      if (!isSpace(e) || !this.spaceIsTalk(e)) return;
      e.preventDefault();
      if (!e.repeat) this.pressTalk('key');
    }, true);
    document.addEventListener('keyup', (e) => {
      if (!isSpace(e) || this.holding !== 'key') return;
      e.preventDefault();
      this.releaseTalk();
    }, true);
    $('assist-listen').addEventListener('click', () => this.request('listen'));
    $('assist-takeover').addEventListener('click', () => this.request('takeover'));
    $('assist-close').addEventListener('click', () => this.close());
  }

  // spaceIsTalk: the space bar is Talk while a session is answered, unless
  // the supervisor is typing, in a menu, or in a dialog.
  spaceIsTalk(e) {
    const s = this.current();
    if (!s || s.kind !== 'assist' || (s.mode !== 'listen' && s.mode !== 'talk')) return false;
    const t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return false;
    if (t && t.closest && t.closest('[role="menu"]')) return false; // space picks a menu item
    return !document.querySelector('dialog[open]');
  }

  // ---- Drawing -------------------------------------------------------------

  render() {
    const s = this.current();
    const el = this.el;
    if (!s && !this.ended) {
      el.hidden = true;
      document.body.classList.remove('has-panel');
      return;
    }
    el.hidden = false;
    const mode = s ? (this.holding && s.mode === 'listen' ? 'talk' : s.mode) : 'ended';
    el.dataset.mode = mode;
    const agent = this.agentName(s ? s.agent : this.ended.agent);
    const listening = s ? s.kind === 'listen' : this.ended.kind === 'listen';
    $('assist-title').textContent = listening ? 'Listen in' : s && s.mode !== 'ringing' ? 'Assisting' : 'Assist';
    $('assist-mode').textContent = MODE_LABEL[mode] || mode;
    $('assist-agent').textContent = agent;
    const call = s ? [s.queue, s.caller || (this.callOf(s.agent) || {}).caller].filter(Boolean).join(' · ') : '';
    $('assist-call').textContent = call;
    $('assist-status').textContent = s ? this.statusWords(s, agent) : this.ended.text;
    const note = s ? this.notes.get(s.id) || '' : '';
    $('assist-note').hidden = !note;
    $('assist-note').textContent = note;

    const answered = !!s && (s.mode === 'listen' || s.mode === 'talk');
    $('assist-controls').hidden = !s || listening;
    setButton($('assist-listen'), answered, s && s.mode === 'listen' && !this.holding);
    setButton($('assist-talk'), answered, !!s && (s.mode === 'talk' || !!this.holding));
    const takenByOther = s && this.notes.has(s.id);
    setButton($('assist-takeover'), answered && !takenByOther, s && s.mode === 'takeover');
    const close = $('assist-close');
    close.className = 'btn btn-sm ' + (s ? 'btn-danger-quiet' : 'btn-quiet');
    $('assist-close-text').textContent = !s ? 'Dismiss' : s.mode === 'ringing' ? 'Cancel' : s.mode === 'takeover' ? 'End call' : 'Close';
    const hint = $('assist-hint');
    hint.textContent = !s ? '' : s.mode === 'ringing' ? 'Nobody hears anything until you answer.'
      : listening ? 'Listen only: nobody hears you.'
      : s.mode === 'takeover' ? 'The call is yours now. End call hangs up on the customer.'
        : `Hold Talk, or hold the space bar, to speak to ${agent} only.`;
    hint.hidden = !hint.textContent;
    document.body.classList.toggle('has-panel', true);
    this.renderTimer(Date.now());
  }

  statusWords(s, agent) {
    switch (s.mode) {
      case 'ringing':
        return s.endpoint && s.endpoint.kind === 'web'
          ? 'Ringing your web client… answer it in your phone tab to start listening.'
          : `Ringing your phone${s.endpoint && s.endpoint.target ? ` (${s.endpoint.target})` : ''}… answer to start listening.`;
      case 'listen':
        if (s.kind === 'listen') return `Listening in on ${agent}'s call.`;
        return this.holding ? `Talking to ${agent}…` : `Listening to the customer and ${agent}. Nobody hears you.`;
      case 'talk':
        return `Talking to ${agent}. The customer cannot hear you.`;
      case 'takeover':
        return `You have taken the call over: you are talking with the customer. ${agent} is in After Call Work.`;
    }
    return '';
  }

  renderTimer(now) {
    const s = this.current();
    const t = $('assist-timer');
    if (!s) {
      t.textContent = '';
      return;
    }
    if (s.mode === 'ringing' && this.ringSeconds > 0) {
      const left = this.ringSeconds * 1000 - (now - s.started);
      t.textContent = `${clock(Math.max(0, left))} left`;
      t.setAttribute('aria-label', 'Time left to answer');
    } else if (s.mode === 'ringing') {
      t.textContent = `ringing ${clock(now - s.started)}`;
      t.setAttribute('aria-label', 'Time ringing');
    } else {
      t.textContent = clock(now - (s.answered || s.started));
      t.setAttribute('aria-label', 'Time assisting');
    }
  }
}

function setButton(b, enabled, pressed) {
  b.disabled = !enabled;
  b.setAttribute('aria-pressed', String(!!pressed));
}

function isSpace(e) {
  return e.code === 'Space' || e.key === ' ';
}
