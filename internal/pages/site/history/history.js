// The /history page: a supervisor or admin signs in, searches their teams'
// calls (newest first, a page at a time) and opens one to play its
// recording and supervisor tracks, read its assist audit and timeline.

import {api} from '/shared/api.js';
import {cell} from '/shared/dom.js';
import {signIn} from '/shared/signin.js';
import {showCall} from './detail.js';
import {OUTCOME, full, seconds, sentence, when} from './words.js';

const $ = (id) => document.getElementById(id);
const PAGE = 50;

const S = {
  me: null,
  query: '', // the query string of the shown list, without before
  next: 0, // next_before of the last page; 0 when there is no more
  loading: false,
  selected: '',
  names: new Map(), // user name → display name
  rows: 0,
};

const name = (u) => (u && S.names.get(u)) || u || '';

// ---- Start and sign in ----------------------------------------------------

// gate signs people in; the page opens for supervisors and admins.
const gate = signIn({
  page: 'Call history',
  title: 'Sign in to call history',
  intro: "For supervisors and admins: your teams' calls, their recordings and every assist.",
  views: ['history'],
  roles: ['supervisor', 'admin'],
  denied: {
    title: 'Call history is for supervisors',
    text: 'Your account has no supervisor or admin role. Your calls are on the web phone.',
    links: [['/phone', 'Open the web phone']],
  },
  enter,
  afterSignOut() {
    S.me = null;
    $('call-rows').replaceChildren();
    $('detail').hidden = true;
    gate.showLogin('');
  },
});

function boot() {
  bind();
  gate.start();
}

async function enter(user) {
  S.me = user;
  gate.show('history');
  await Promise.all([loadQueues(), loadNames()]);
  await search();
}

async function loadQueues() {
  const sel = $('f-queue');
  try {
    const out = await api('GET', '/api/v1/queues');
    const queues = (out && out.queues) || [];
    sel.replaceChildren(new Option('All queues', ''), ...queues.map((q) => new Option(q.name, q.name)));
  } catch {
    // the list still works without the queue filter's choices
  }
}

async function loadNames() {
  try {
    const out = await api('GET', '/api/v1/agents');
    for (const a of (out && out.agents) || []) if (a.display) S.names.set(a.name, a.display);
  } catch {
    // login names are shown instead
  }
  if (S.me && S.me.display) S.names.set(S.me.user, S.me.display);
}

// ---- The list -------------------------------------------------------------

/** Reads the filters into a query string, or throws a sentence. */
function filterQuery() {
  const p = new URLSearchParams();
  const q = $('f-q').value.trim();
  if (q) p.set('q', q);
  if ($('f-queue').value) p.set('queue', $('f-queue').value);
  if ($('f-outcome').value) p.set('outcome', $('f-outcome').value);
  const from = $('f-from').value;
  const to = $('f-to').value;
  const day = (v) => {
    const [y, m, d] = v.split('-').map(Number);
    return new Date(y, m - 1, d);
  };
  if (from) p.set('since', day(from).toISOString());
  if (to) {
    const end = day(to);
    end.setDate(end.getDate() + 1);
    p.set('until', end.toISOString());
  }
  if (from && to && day(to) < day(from)) throw new Error('The "To" day is before the "From" day.');
  p.set('limit', String(PAGE));
  return p.toString();
}

async function search(ev) {
  if (ev) ev.preventDefault();
  const err = $('filter-error');
  let q;
  try {
    q = filterQuery();
  } catch (e) {
    err.hidden = false;
    err.textContent = e.message;
    return;
  }
  err.hidden = true;
  S.query = q;
  S.next = 0;
  S.rows = 0;
  $('call-rows').replaceChildren();
  await loadPage(false);
}

async function loadPage(more) {
  if (S.loading) return;
  S.loading = true;
  const body = $('call-rows');
  body.setAttribute('aria-busy', 'true');
  $('more').disabled = true;
  const query = S.query;
  const path = `/api/v1/call-history?${query}${more && S.next ? `&before=${S.next}` : ''}`;
  try {
    const out = await api('GET', path);
    if (query !== S.query) return;
    const calls = out.calls || [];
    body.append(...calls.map(row));
    S.rows += calls.length;
    S.next = out.next_before || 0;
    $('empty').hidden = S.rows > 0;
    $('empty-title').textContent = 'No calls match';
    $('empty-text').textContent = S.query.replace(/(^|&)limit=\d+/, '') ? 'Change the search or clear the filters.' : 'Calls to your teams\u2019 queues appear here.';
  } catch (e) {
    if (S.rows === 0) {
      $('empty').hidden = false;
      $('empty-title').textContent = 'Calls could not be loaded';
      $('empty-text').textContent = sentence(e.message);
    } else {
      $('filter-error').hidden = false;
      $('filter-error').textContent = sentence(e.message);
    }
  } finally {
    S.loading = false;
    body.removeAttribute('aria-busy');
    $('more').hidden = !S.next;
    $('more').disabled = false;
    $('count').textContent = S.rows === 0 ? '' : `${S.rows} call${S.rows === 1 ? '' : 's'}${S.next ? ' so far' : ''}`;
  }
}

function row(c) {
  const tr = document.createElement('tr');
  tr.dataset.call = c.id;
  tr.tabIndex = 0;
  tr.setAttribute('aria-selected', String(c.id === S.selected));
  tr.title = `Call ${c.id}, ${full(c.arrived)}`;
  cell(tr, when(c.arrived), 'num c-when');
  cell(tr, c.caller || 'Unknown', 'c-caller');
  cell(tr, c.queues.length > 1 ? `${c.queue} → ${c.queues[c.queues.length - 1]}` : c.queue, 'c-queue');
  const handlers = document.createElement('span');
  handlers.textContent = c.handlers.length ? c.handlers.map(name).join(' → ') : '—';
  if (c.handlers.length > 1) {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'taken over';
    handlers.append(' ', tag);
  }
  cell(tr, handlers, 'c-handlers');
  cell(tr, seconds(c.duration_seconds), 'num c-dur');
  const pill = document.createElement('span');
  pill.className = 'outcome';
  pill.dataset.outcome = c.outcome;
  pill.textContent = OUTCOME[c.outcome] || c.outcome;
  cell(tr, pill, 'c-outcome');
  cell(tr, c.assisted_by.length ? c.assisted_by.map(name).join(', ') : '', 'c-assist');
  const rec = cell(tr, '', 'c-rec');
  if (c.has_recording) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Recorded');
    const t = document.createElementNS(ns, 'title');
    t.textContent = 'Recorded';
    const use = document.createElementNS(ns, 'use');
    use.setAttribute('href', '#i-rec');
    svg.append(t, use);
    rec.append(svg);
  }
  return tr;
}

function select(id) {
  S.selected = id;
  for (const tr of $('call-rows').children) tr.setAttribute('aria-selected', String(tr.dataset.call === id));
  document.body.classList.add('has-detail');
  showCall(id, name).then(() => {
    if (matchMedia('(max-width: 900px)').matches) $('detail').scrollIntoView({block: 'start'});
  });
}

function closeDetail() {
  S.selected = '';
  $('detail').hidden = true;
  $('detail').dataset.call = '';
  document.body.classList.remove('has-detail');
  for (const tr of $('call-rows').children) tr.setAttribute('aria-selected', 'false');
}

function bind() {
  $('filters').addEventListener('submit', search);
  $('f-reset').addEventListener('click', () => {
    $('filters').reset();
    search();
  });
  for (const id of ['f-queue', 'f-outcome', 'f-from', 'f-to']) $(id).addEventListener('change', () => search());
  $('more').addEventListener('click', () => loadPage(true));
  $('d-close').addEventListener('click', closeDetail);
  const rows = $('call-rows');
  rows.addEventListener('click', (e) => {
    const tr = e.target.closest('tr[data-call]');
    if (tr) select(tr.dataset.call);
  });
  rows.addEventListener('keydown', (e) => {
    const tr = e.target.closest('tr[data-call]');
    if (!tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select(tr.dataset.call);
    } else if (e.key === 'ArrowDown' && tr.nextElementSibling) {
      e.preventDefault();
      tr.nextElementSibling.focus();
    } else if (e.key === 'ArrowUp' && tr.previousElementSibling) {
      e.preventDefault();
      tr.previousElementSibling.focus();
    }
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('detail').hidden) closeDetail();
  });
}

// For the page tests: whether the list has loaded.
window.earshotTest = {ready: () => !S.loading && !$('history-view').hidden};

boot();
