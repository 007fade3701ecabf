// The Agent Performance table: one row per agent, keyed by name, kept live
// from the WebSocket's agent rows. It is built to stay smooth with a
// thousand rows and many updates a second:
//   - an update only marks its row dirty; the DOM is written once per
//     animation frame, and only the cells whose text changed;
//   - a row whose sort key changed moves alone (binary search), the others
//     stay where they are;
//   - one shared ticker rewrites the running times, only for rows on
//     screen (an IntersectionObserver knows which).

import {clock} from '/shared/api.js';
import {STATE_LABEL, STATE_ORDER, HELP_ORDER, HELP_WORDS, stateWords, seconds, percent} from './words.js';

// COLUMNS: for each sortable column, its key (null sorts last whatever the
// direction) and the direction of a first click.
const COLUMNS = {
  name: {first: 'ascending', key: (a) => (a.display || a.name || '').toLowerCase()},
  state: {first: 'ascending', key: (a) => STATE_ORDER[a.state] ?? 9},
  time: {first: 'descending', key: (a) => (sinceOf(a) ? -sinceOf(a) : null)},
  call: {first: 'ascending', key: (a) => (hasCall(a) ? `${a.queue || ''}\u0000${a.caller || ''}`.toLowerCase() : null)},
  calltime: {first: 'descending', key: (a) => (callSinceOf(a) ? -callSinceOf(a) : null)},
  help: {first: 'descending', key: (a) => 2 - (HELP_ORDER[a.help] ?? 2)},
  by: {first: 'ascending', key: (a) => (a.assist && a.assist.by && a.assist.by.length ? a.assist.by.map((u) => (a.assist.names && a.assist.names[u]) || u).join(', ').toLowerCase() : null)},
  team: {first: 'ascending', key: (a) => ((a.teams || []).length ? a.teams.join(', ').toLowerCase() : null)},
  handled: {first: 'descending', key: (a) => (a.stats ? a.stats.handled : null)},
  aht: {first: 'descending', key: (a) => (a.stats && a.stats.aht_seconds > 0 ? a.stats.aht_seconds : null)},
  acw: {first: 'descending', key: (a) => (a.stats && a.stats.avg_acw_seconds > 0 ? a.stats.avg_acw_seconds : null)},
  missed: {first: 'descending', key: (a) => (a.stats ? a.stats.missed : null)},
  occupancy: {first: 'descending', key: (a) => (a.stats ? a.stats.occupancy : null)},
};

// Times before this are "never" (a zero time from the server).
const EPOCH = Date.UTC(2000, 0, 1);

function sinceOf(a) {
  const t = a.since ? Date.parse(a.since) : 0;
  return t > EPOCH ? t : 0;
}

function callSinceOf(a) {
  if (a.state !== 'on_call') return 0;
  const t = a.call_since ? Date.parse(a.call_since) : 0;
  return t > EPOCH ? t : 0;
}

function hasCall(a) {
  return !!a.call && (a.state === 'on_call' || a.state === 'ringing');
}

export class AgentTable {
  /**
   * tbody and thead are the table's; wrap is its scrolling box. who(user)
   * names a supervisor for the Assisting column; onMenu(name, button) opens
   * a row's menu; onFlush(rows) runs after each frame that changed rows.
   */
  constructor({tbody, thead, wrap, template, who, onMenu, onFlush}) {
    this.tbody = tbody;
    this.thead = thead;
    this.template = template;
    this.who = who;
    this.onFlush = onFlush;
    this.views = new Map(); // name → row view
    this.people = new Set(); // demo agents left for a person, marked "you"
    this.order = []; // views in sort order
    this.dirty = new Set();
    this.raf = 0;
    this.sortKey = 'name';
    this.sortDir = 'ascending';
    this.filterText = '';
    this.team = '';
    this.onScreen = new Set();
    this.io = new IntersectionObserver((entries) => {
      const now = Date.now();
      for (const e of entries) {
        const v = e.target.$view;
        if (!v) continue;
        if (e.isIntersecting) {
          this.onScreen.add(v);
          this.paintTimes(v, now);
        } else {
          this.onScreen.delete(v);
        }
      }
    }, {root: wrap, rootMargin: '200px 0px'});

    tbody.addEventListener('click', (e) => {
      const btn = e.target.closest('.row-menu-btn');
      if (!btn) return;
      const v = btn.closest('tr').$view;
      if (v) onMenu(v.name, btn);
    });
    thead.addEventListener('click', (e) => {
      const th = e.target.closest('th[data-key]');
      if (th) this.sortBy(th.dataset.key);
    });
    this.paintSortHeaders();
  }

  /** The row of agent name, as the server last sent it. */
  row(name) {
    const v = this.views.get(name);
    return v ? v.data : null;
  }

  /** Every row, in no particular order. */
  rows() {
    return [...this.views.values()].map((v) => v.data);
  }

  /** The names of the rows shown, top to bottom. */
  shownNames() {
    return this.order.filter((v) => !v.hidden).map((v) => v.name);
  }

  /** The menu button of agent name's row. */
  menuButton(name) {
    const v = this.views.get(name);
    return v ? v.btn : null;
  }

  /** The table row of agent name. */
  rowElement(name) {
    const v = this.views.get(name);
    return v ? v.tr : null;
  }

  /**
   * Replaces every row (a snapshot): rows kept are updated in place, new
   * ones built, missing ones removed; then one full sort.
   */
  setAll(rows) {
    const seen = new Set();
    const frag = document.createDocumentFragment();
    for (const a of rows) {
      seen.add(a.name);
      const v = this.views.get(a.name);
      if (v) {
        v.data = a;
        this.dirty.add(v);
      } else {
        const nv = this.build(a);
        frag.append(nv.tr);
        this.dirty.add(nv);
      }
    }
    for (const [name, v] of this.views) {
      if (!seen.has(name)) this.drop(v);
    }
    this.tbody.append(frag);
    this.resort();
    this.flush();
  }

  /** Applies one agent row: its cells are written at the next frame. */
  upsert(a) {
    let v = this.views.get(a.name);
    if (!v) {
      v = this.build(a);
      this.tbody.append(v.tr);
      v.sortKey = undefined; // placed by the flush
    } else {
      v.data = a;
    }
    this.dirty.add(v);
    this.schedule();
  }

  /** Marks the demo's agents left for a person ("you"); the others are bots. */
  setPeople(names) {
    const next = new Set(names || []);
    if (next.size === this.people.size && [...next].every((n) => this.people.has(n))) return;
    this.people = next;
    for (const v of this.order) this.dirty.add(v);
    this.schedule();
  }

  /** Redraws one row at the next frame (e.g. when my sessions changed). */
  touch(name) {
    const v = this.views.get(name);
    if (!v) return;
    this.dirty.add(v);
    this.schedule();
  }

  schedule() {
    if (!this.raf) this.raf = requestAnimationFrame(() => this.flush());
  }

  /** Writes every dirty row now. */
  flush() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    if (this.dirty.size === 0) return;
    const now = Date.now();
    const col = COLUMNS[this.sortKey];
    for (const v of this.dirty) {
      this.paint(v, now);
      const k = col.key(v.data);
      if (k !== v.sortKey) this.place(v, k);
      this.applyFilter(v);
    }
    this.dirty.clear();
    this.onFlush(this);
  }

  /** Sorts by column key; the same column again turns the direction round. */
  sortBy(key) {
    if (!COLUMNS[key]) return;
    if (this.sortKey === key) {
      this.sortDir = this.sortDir === 'ascending' ? 'descending' : 'ascending';
    } else {
      this.sortKey = key;
      this.sortDir = COLUMNS[key].first;
    }
    this.paintSortHeaders();
    this.resort();
  }

  /** Shows only rows whose name, state or team holds text, in team (or any). */
  setFilter(text, team) {
    this.filterText = String(text || '').trim().toLowerCase();
    this.team = team || '';
    for (const v of this.order) this.applyFilter(v);
    this.onFlush(this);
  }

  /**
   * Counts: rows the filter shows, all rows, all rows by state, and rows
   * whose agent asks for help.
   */
  counts() {
    let shown = 0;
    let help = 0;
    const states = {};
    for (const v of this.order) {
      if (!v.hidden) shown++;
      if (v.data.help === 'requested') help++;
      states[v.data.state] = (states[v.data.state] || 0) + 1;
    }
    return {shown, total: this.order.length, states, help};
  }

  /** Rewrites the running times of the rows on screen: one shared ticker calls it. */
  tick() {
    const now = Date.now();
    for (const v of this.onScreen) this.paintTimes(v, now);
  }

  // ---- Rows ----------------------------------------------------------------

  build(a) {
    const tr = this.template.content.firstElementChild.cloneNode(true);
    const c = tr.cells;
    const v = {
      name: a.name,
      data: a,
      tr,
      btn: c[0].querySelector('.row-menu-btn'),
      nameEl: c[0].querySelector('.agent-name'),
      state: c[1].firstElementChild,
      stateText: c[1].querySelector('.state-text'),
      stateReason: c[1].querySelector('.state-reason'),
      time: c[2],
      queue: c[3].firstElementChild,
      caller: c[3].lastElementChild,
      calltime: c[4],
      help: c[5].firstElementChild,
      helpUse: c[5].querySelector('use'),
      helpText: c[5].querySelector('.help-text'),
      by: c[6],
      team: c[7],
      handled: c[8],
      aht: c[9],
      acw: c[10],
      missed: c[11],
      occ: c[12].querySelector('.occ'),
      occFill: c[12].querySelector('.occ-fill'),
      occText: c[12].querySelector('.occ-text'),
      shown: {}, // what each cell shows now, so unchanged cells are not written
      hidden: false,
      sortKey: undefined,
      haystack: '',
    };
    tr.$view = v;
    tr.dataset.agent = a.name;
    this.views.set(a.name, v);
    this.order.push(v);
    this.io.observe(tr);
    return v;
  }

  drop(v) {
    this.io.unobserve(v.tr);
    this.onScreen.delete(v);
    this.dirty.delete(v);
    v.tr.remove();
    this.views.delete(v.name);
    const i = this.order.indexOf(v);
    if (i >= 0) this.order.splice(i, 1);
  }

  // set writes a cell's text only when it changed.
  set(v, field, el, value) {
    if (v.shown[field] === value) return;
    v.shown[field] = value;
    el.textContent = value;
  }

  attr(v, field, el, name, value) {
    if (v.shown[field] === value) return;
    v.shown[field] = value;
    el.setAttribute(name, value);
  }

  paint(v, now) {
    const a = v.data;
    const display = a.display || a.name;
    this.set(v, 'name', v.nameEl, display);
    this.attr(v, 'you', v.nameEl, 'data-you', String(this.people.has(a.name)));
    this.attr(v, 'btn', v.btn, 'aria-label', `Actions for ${display}`);
    this.attr(v, 'title', v.nameEl, 'title', `${a.name} · ${(a.teams || []).join(', ')}`);
    this.attr(v, 'state', v.state, 'data-state', a.state);
    const words = stateWords(a);
    this.set(v, 'stateText', v.stateText, STATE_LABEL[a.state] || a.state || 'Unknown');
    this.set(v, 'stateReason', v.stateReason, a.state === 'not_ready' ? a.reason || '' : '');
    this.attr(v, 'stateTitle', v.state.parentNode, 'title', words);
    const call = hasCall(a);
    this.set(v, 'queue', v.queue, call ? a.queue || '' : '');
    this.set(v, 'caller', v.caller, call ? a.caller || 'Unknown caller' : '—');
    this.attr(v, 'callTitle', v.caller.parentNode, 'title', call ? `${a.queue || ''} · ${a.caller || 'Unknown caller'}` : '');
    const help = a.help || 'none';
    this.attr(v, 'help', v.help, 'data-help', help);
    this.attr(v, 'helpIcon', v.helpUse, 'href', `#i-help-${help}`);
    this.set(v, 'helpText', v.helpText, HELP_WORDS[help] || help);
    this.attr(v, 'helpLabel', v.help, 'aria-label', help === 'none' ? 'No help requested' : HELP_WORDS[help] || help);
    const by = (a.assist && a.assist.by) || [];
    const listeners = (a.assist && a.assist.listeners) || [];
    const known = (a.assist && a.assist.names) || {};
    const name = (u) => this.who(u, known[u]);
    let byWords = by.map(name).join(', ');
    if (listeners.length) byWords += `${byWords ? ' · ' : ''}${listeners.map(name).join(', ')} listening`;
    this.set(v, 'by', v.by, byWords || '—');
    const teams = (a.teams || []).join(', ');
    this.set(v, 'team', v.team, teams || '—');
    const st = a.stats;
    this.set(v, 'handled', v.handled, st ? String(st.handled) : '—');
    this.set(v, 'aht', v.aht, st ? seconds(st.aht_seconds) : '—');
    this.set(v, 'acw', v.acw, st ? seconds(st.avg_acw_seconds) : '—');
    this.set(v, 'missed', v.missed, st ? String(st.missed) : '—');
    const occ = st ? Math.max(0, Math.min(1, st.occupancy || 0)) : -1;
    this.set(v, 'occText', v.occText, st ? percent(occ) : '—');
    if (v.shown.occ !== occ) {
      v.shown.occ = occ;
      v.occFill.style.transform = `scaleX(${Math.max(occ, 0)})`;
      v.occ.classList.toggle('none', occ < 0);
    }
    const flash = help === 'requested';
    if (v.shown.flash !== flash) {
      v.shown.flash = flash;
      v.tr.classList.toggle('flash', flash);
    }
    v.haystack = `${display}\n${a.name}\n${words}\n${plainState(a)}\n${teams}`.toLowerCase();
    this.paintTimes(v, now);
  }

  paintTimes(v, now) {
    const a = v.data;
    const since = sinceOf(a);
    this.set(v, 'time', v.time, since ? clock(now - since) : '—');
    const cs = callSinceOf(a);
    this.set(v, 'calltime', v.calltime, cs ? clock(now - cs) : '—');
  }

  // ---- Order and filter ----------------------------------------------------

  compare(a, b) {
    const ka = a.sortKey;
    const kb = b.sortKey;
    if (ka === null || kb === null) {
      if (ka !== kb) return ka === null ? 1 : -1;
    } else if (ka !== kb) {
      const c = ka < kb ? -1 : 1;
      return this.sortDir === 'ascending' ? c : -c;
    }
    const na = COLUMNS.name.key(a.data);
    const nb = COLUMNS.name.key(b.data);
    return na < nb ? -1 : na > nb ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  }

  // place moves one row to where key k sorts it.
  place(v, k) {
    const i = this.order.indexOf(v);
    if (i >= 0) this.order.splice(i, 1);
    v.sortKey = k;
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compare(this.order[mid], v) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, v);
    const next = this.order[lo + 1];
    const ref = next ? next.tr : null;
    if (v.tr.nextSibling !== ref || v.tr.parentNode !== this.tbody) this.tbody.insertBefore(v.tr, ref);
  }

  resort() {
    const col = COLUMNS[this.sortKey];
    for (const v of this.order) v.sortKey = col.key(v.data);
    this.order.sort((a, b) => this.compare(a, b));
    const frag = document.createDocumentFragment();
    for (const v of this.order) frag.append(v.tr);
    this.tbody.append(frag);
  }

  applyFilter(v) {
    const a = v.data;
    const t = this.filterText;
    const hide = (this.team !== '' && !(a.teams || []).includes(this.team)) || (t !== '' && !v.haystack.includes(t));
    if (hide !== v.hidden) {
      v.hidden = hide;
      v.tr.hidden = hide;
    }
  }

  paintSortHeaders() {
    for (const th of this.thead.querySelectorAll('th[data-key]')) {
      if (th.dataset.key === this.sortKey) th.setAttribute('aria-sort', this.sortDir);
      else th.removeAttribute('aria-sort');
    }
  }
}

// plainState lets "not ready" or "on call" match as typed.
function plainState(a) {
  return a.state ? a.state.replace(/_/g, ' ') : '';
}
