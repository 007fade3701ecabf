// The /monitor page: a supervisor signs in, says where assist audio goes,
// then watches Agent Performance live and acts on rows: assist, clear
// help, listen in, change an agent's state. Agent rows arrive on the
// WebSocket; the table, the help pop-ups and the assist panel each draw
// their own part, and controls only send requests.

import {api, asUser, connectEvents, text as setText} from '/shared/api.js';
import {signIn} from '/shared/signin.js';
import {AgentTable} from './table.js';
import {RowMenu} from './menu.js';
import {AssistPanel} from './panel.js';
import {HelpToasts} from './toasts.js';
import {loadHistory} from './history.js';
import {AgentActions, NO_WEB_CLIENT} from './actions.js';
import {notify} from './notices.js';
import {perfStart, perfStop} from './frames.js';
import {reopenedWords, sentence} from './words.js';

const $ = (id) => document.getElementById(id);

const S = {
  view: 'loading', // loading | login | denied | signin | monitor
  me: null,
  endpoint: null, // {kind, target} where assist audio goes, or null
  ws: 'connecting',
  tab: 'perf',
  signinRetry: false, // retry the web client when the window gets focus back
};

let events = null;
let table = null;
let menu = null;
let panel = null;
let toasts = null;
let ticker = 0;
let actions = null;
// Display names of people who have no row (other supervisors, listeners),
// by user name, as the server gives them with rows and sessions.
const names = new Map();

// ---- Start ---------------------------------------------------------------

// gate signs people in; the monitor opens for supervisors and admins.
const gate = signIn({
  page: 'Monitor',
  title: 'Sign in to the monitor',
  intro: 'For supervisors: watch your teams live and assist their calls.',
  views: ['monitor', 'signin'],
  roles: ['supervisor', 'admin'],
  denied: {
    title: 'The monitor is for supervisors',
    text: 'Your account has no supervisor role. Your calls are on the web phone.',
    links: [['/phone', 'Open the web phone']],
  },
  enter,
  onShow(view) {
    S.view = view;
    $('audio-chip').hidden = view !== 'monitor';
    $('connection').hidden = view !== 'monitor';
  },
  signedIn() {
    if (!table) return true;
    location.reload(); // signed in again after the session ended: start afresh
    return false;
  },
  beforeSignOut: leaveMonitor,
  afterSignOut: () => location.reload(),
});

function boot() {
  bind();
  gate.start();
}

function show(view) {
  gate.show(view);
}

async function enter(user) {
  S.me = user;
  S.endpoint = null;
  try {
    const out = await api('GET', '/api/v1/me/assist-endpoint');
    S.endpoint = out && out.endpoint ? out.endpoint : null;
  } catch {
    // assist not available: the sign-in says so when it is tried
  }
  if (S.endpoint) openMonitor();
  else showSignin();
}

// ---- Where assist audio goes ---------------------------------------------

function showSignin() {
  const web = !S.endpoint || S.endpoint.kind !== 'phone';
  $('signin-web').checked = web;
  $('signin-phone').checked = !web;
  $('signin-target').value = S.endpoint && S.endpoint.kind === 'phone' ? S.endpoint.target || '' : $('signin-target').value;
  signinError('');
  syncSigninChoice();
  $('signin-skip').textContent = S.view === 'monitor' ? 'Cancel' : 'Watch only for now';
  show('signin');
  (web ? $('signin-web') : $('signin-target')).focus();
}

function syncSigninChoice() {
  const phone = $('signin-phone').checked;
  $('signin-target-field').classList.toggle('off', !phone);
  $('signin-target').disabled = !phone;
  for (const o of document.querySelectorAll('.option')) o.classList.toggle('chosen', o.querySelector('input').checked);
}

function signinError(message, offerPhone = false) {
  $('signin-error').hidden = !message;
  $('signin-error-text').textContent = message;
  $('signin-open-phone').hidden = !offerPhone;
  $('open-phone').href = asUser('/phone'); // the new tab is this user's too
  $('signin-target').setAttribute('aria-invalid', String(!!message && $('signin-phone').checked && !offerPhone));
}

async function submitSignin(ev) {
  if (ev) ev.preventDefault();
  const kind = $('signin-phone').checked ? 'phone' : 'web';
  const target = kind === 'phone' ? $('signin-target').value.trim() : '';
  if (kind === 'phone' && !target) {
    signinError('Type the number or SIP address to ring for assist audio.');
    $('signin-target').focus();
    return;
  }
  const btn = $('signin-submit');
  btn.disabled = true;
  btn.textContent = 'Checking…';
  try {
    const out = await api('PUT', '/api/v1/me/assist-endpoint', {kind, target});
    S.endpoint = out.endpoint;
    S.signinRetry = false;
    signinError('');
    openMonitor();
  } catch (e) {
    const noWeb = kind === 'web' && (e.status === 409 || NO_WEB_CLIENT.test(e.message));
    S.signinRetry = noWeb;
    signinError(sentence(e.message), noWeb);
    if (noWeb) $('open-phone').focus();
    else if (kind === 'phone') $('signin-target').focus();
  } finally {
    btn.disabled = false;
    btn.textContent = 'Continue';
  }
}

function drawAudioChip() {
  const ep = S.endpoint;
  const chip = $('audio-chip');
  chip.dataset.kind = ep ? ep.kind : 'none';
  $('audio-chip-text').textContent = !ep ? 'not chosen' : ep.kind === 'web' ? 'Web client' : ep.target || 'Phone';
  $('audio-change').textContent = ep ? 'Change' : 'Choose';
  $('audio-change').setAttribute('aria-label', ep ? 'Change where assist audio goes' : 'Choose where assist audio goes');
}

// ---- The monitor ---------------------------------------------------------

function openMonitor() {
  show('monitor');
  drawAudioChip();
  if (events) return; // already live (back from changing the audio)
  // How long an assist rings, when the server says (else 0: unknown).
  const ring = (S.me && S.me.assist_ring_seconds) || 0;
  table = new AgentTable({
    tbody: $('agent-rows'),
    thead: $('agents').tHead,
    wrap: $('table-wrap'),
    template: $('row-tpl'),
    who,
    onMenu: openMenu,
    onFlush: drawCounts,
  });
  menu = new RowMenu({el: $('row-menu'), titleEl: $('row-menu-title'), list: $('row-menu-items')});
  panel = new AssistPanel({
    me: S.me.user,
    who,
    agentName,
    callOf: (name) => {
      const a = table.row(name);
      return a && a.call ? {queue: a.queue, caller: a.caller} : null;
    },
    notify,
    ringSeconds: ring,
    onChange: (names) => {
      for (const n of names) table.touch(n);
      refreshMenu();
    },
  });
  toasts = new HelpToasts({
    el: $('toasts'),
    onAssist: (name) => actions.assist(name),
    onShow: showRow,
    canAssist: (a) => actions.assistable(a),
  });
  actions = new AgentActions({table, panel, toasts, me: S.me, notify, chooseAudio: showSignin});
  document.addEventListener('earshot:demo', (e) => table.setPeople(e.detail && e.detail.people));
  events = connectEvents({onMessage, onStatus});
  ticker = setInterval(() => {
    table.tick();
    panel.tick();
  }, 1000);
  $('filter').focus();
}

function leaveMonitor() {
  if (events) events.close();
  events = null;
  clearInterval(ticker);
  if (menu) menu.close(false);
}

function onStatus(status, detail) {
  S.ws = status;
  const [dot, words] = {
    connecting: ['warn', 'Connecting…'],
    open: ['good', 'Live'],
    retrying: ['warn', 'Reconnecting…'],
    ended: ['bad', 'Disconnected'],
  }[status] || ['warn', status];
  $('connection-dot').className = `dot dot-${dot}`;
  $('connection-text').textContent = words;
  if (status === 'ended') {
    leaveMonitor();
    gate.showLogin(sentence(detail));
  }
}

function onMessage(msg) {
  switch (msg.type) {
    case 'snapshot':
      for (const a of msg.agents || []) learnNames(a);
      fillTeams(msg.agents || []);
      table.setAll(msg.agents || []);
      toasts.sync(msg.agents || []);
      loadSessions();
      break;
    case 'agent':
      if (!msg.agent) return;
      learnNames(msg.agent);
      table.upsert(msg.agent);
      toasts.update(msg.agent);
      if (menu.key === msg.agent.name) refreshMenu();
      break;
    case 'event': {
      const e = msg.event || {};
      if (e.kind === 'assist.mode' || e.kind === 'listen.session') panel.onEvent(e);
      // A request open again: an assist ended before it was answered.
      if (e.kind === 'help.state' && e.state === 'requested' && e.actor && e.reason) toasts.note(e.agent, reopenedWords(who(e.actor), e.reason));
      break;
    }
  }
}

// loadSessions learns my live sessions (after every connect: events may
// have been missed while away).
async function loadSessions() {
  try {
    const out = await api('GET', '/api/v1/assists');
    for (const s of out.assists || []) if (s.user_display) names.set(s.user, s.user_display);
    panel.setSessions(out.assists || []);
  } catch {
    panel.setSessions([]);
  }
}

function fillTeams(rows) {
  const sel = $('team-filter');
  const teams = new Set([...(S.me.supervises || [])]);
  for (const r of rows) for (const t of r.teams || []) teams.add(t);
  const want = [...teams].sort();
  const have = [...sel.options].slice(1).map((o) => o.value);
  if (want.join('\n') === have.join('\n')) return;
  const keep = sel.value;
  sel.replaceChildren(new Option('All my teams', ''), ...want.map((t) => new Option(t, t)));
  sel.value = want.includes(keep) ? keep : '';
}

function applyFilter() {
  table.setFilter($('filter').value, $('team-filter').value);
}

function drawCounts(t) {
  const {shown, total, states, help} = t.counts();
  setText($('row-count'), shown === total ? `${total} ${total === 1 ? 'agent' : 'agents'}` : `Showing ${shown} of ${total} agents`);
  const empty = shown === 0;
  $('empty').hidden = !empty;
  if (empty) {
    setText($('empty-title'), total === 0 ? 'No agents in your teams' : 'No agents match');
    setText($('empty-text'), total === 0 ? 'Agents appear here once they belong to a team you supervise.' : 'Clear the filter to see every agent of your teams.');
  }
  for (const k of ['available', 'on_call', 'ringing', 'acw', 'not_ready', 'offline']) setText($(`sum-${k}`), String(states[k] || 0));
  setText($('sum-help'), String(help));
  $('sum-help-item').classList.toggle('alert', help > 0);
}

// ---- Names ---------------------------------------------------------------

// who names a person: "You", an agent's display name, or another
// supervisor's as the server gave it (display, if given, is the fallback).
function who(user, display) {
  if (S.me && user === S.me.user) return 'You';
  const a = table && table.row(user);
  if (a) return a.display || a.name;
  return names.get(user) || display || user;
}

// learnNames keeps the display names a row's assist part gives.
function learnNames(a) {
  const n = a.assist && a.assist.names;
  if (n) for (const [user, display] of Object.entries(n)) if (display) names.set(user, display);
}

function agentName(name) {
  const a = table && table.row(name);
  return a ? a.display || a.name : name;
}

// ---- The row menu ----------------------------------------------------------

function openMenu(name, btn) {
  const a = table.row(name);
  if (!a) return;
  if (menu.key === name) {
    menu.close(true);
    return;
  }
  menu.open(name, btn, a.display || a.name, actions.items(a));
}

function refreshMenu() {
  if (!menu || !menu.isOpen) return;
  const a = table.row(menu.key);
  if (a) menu.refresh(actions.items(a));
}

function showRow(name) {
  $('filter').value = '';
  $('team-filter').value = '';
  applyFilter();
  const tr = table.rowElement(name);
  if (!tr) return;
  tr.scrollIntoView({block: 'center'});
  table.menuButton(name).focus({preventScroll: true});
}

// ---- Tabs ------------------------------------------------------------------

function selectTab(tab) {
  S.tab = tab;
  const perf = tab === 'perf';
  $('tab-perf').setAttribute('aria-selected', String(perf));
  $('tab-history').setAttribute('aria-selected', String(!perf));
  $('tab-perf').tabIndex = perf ? 0 : -1;
  $('tab-history').tabIndex = perf ? -1 : 0;
  $('perf-panel').hidden = !perf;
  $('history-panel').hidden = perf;
  if (!perf) loadHistory({who, agentName});
}

// ---- Wiring ----------------------------------------------------------------

function bind() {
  $('signin-form').addEventListener('submit', submitSignin);
  for (const r of document.querySelectorAll('input[name="endpoint"]')) {
    r.addEventListener('change', () => {
      signinError('');
      syncSigninChoice();
      if ($('signin-phone').checked) $('signin-target').focus();
    });
  }
  $('signin-skip').addEventListener('click', () => {
    S.signinRetry = false;
    openMonitor();
  });
  // Back from the web phone's tab: try the web client again by itself.
  window.addEventListener('focus', () => {
    if (S.view === 'signin' && S.signinRetry && $('signin-web').checked) submitSignin();
  });
  $('audio-change').addEventListener('click', showSignin);
  $('filter').addEventListener('input', applyFilter);
  $('team-filter').addEventListener('change', applyFilter);
  $('tab-perf').addEventListener('click', () => selectTab('perf'));
  $('tab-history').addEventListener('click', () => selectTab('history'));
  $('monitor-view').querySelector('.tabs').addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
    e.preventDefault();
    const next = S.tab === 'perf' ? 'history' : 'perf';
    selectTab(next);
    $(`tab-${next}`).focus();
  });
  $('history-refresh').addEventListener('click', () => loadHistory({who, agentName}));
  // The row menu opens from the keyboard too: arrow down on its button.
  $('agent-rows').addEventListener('keydown', (e) => {
    const btn = e.target.closest && e.target.closest('.row-menu-btn');
    if (btn && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      btn.click();
    }
  });
}

// For tests: what the page shows, and its frame timing.
window.earshotTest = {
  view: () => S.view,
  shownAgents: () => (table ? table.shownNames() : []),
  toasts: () => (toasts ? toasts.open() : []),
  session: () => (panel && panel.current() ? {...panel.current()} : null),
  menuItems: () => [...document.querySelectorAll('#row-menu [role="menuitem"]')].map((b) => ({
    id: b.dataset.action,
    label: b.querySelector('.menu-label').textContent,
    disabled: b.getAttribute('aria-disabled') === 'true',
    title: b.title,
  })),
  flush: () => table && table.flush(),
  // settled resolves once the page has drawn two frames since the call:
  // rows shown again are rendered (and can be clicked) only then.
  settled: () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)))),
  perfStart,
  perfStop,
};

boot();
