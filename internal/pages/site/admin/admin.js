// The /admin page: an admin signs in and changes users, teams, queues,
// numbers, the dial plan, Not Ready reasons, listen-in permission and SIP
// trunks. Each
// section saves only its part through its own API route; the server
// validates, stores, applies at once and audits. On an error the server's
// sentence is shown beside the field and nothing changes; on success a
// toast says what changed, in the audit's words.

import {api, connectEvents, ApiError} from '/shared/api.js';
import {signIn} from '/shared/signin.js';
import {humanize, clearErrors, showError} from './dom.js';
import {renderUsers, renderTeams, renderListen, bindPeople} from './people.js';
import {renderQueues, renderDIDs, renderReasons, bindRouting} from './routing.js';
import {renderPlan, bindPlan} from './plan.js';
import {loadAudit} from './audit.js';
import {renderTrunks, bindTrunks, loadTrunks, stopTrunks} from './trunks.js';

const $ = (id) => document.getElementById(id);
const TABS = ['users', 'teams', 'queues', 'dids', 'dialplan', 'reasons', 'listen', 'trunks', 'audit'];

const S = {
  me: null,
  cfg: null, // the configuration in force, as GET /api/v1/config shows it
  tab: 'users',
  saving: false,
};

// ctx is what the sections use: the configuration and the one way to
// change it.
const ctx = {
  cfg: () => S.cfg,
  me: () => S.me,
  save,
};

// gate signs people in; the page opens for admins only.
const gate = signIn({
  page: 'Admin',
  title: 'Sign in to admin',
  intro: 'For administrators: users, teams, queues, numbers and the dial plan.',
  views: ['admin'],
  who: ['denied', 'admin'],
  roles: ['admin'],
  denied: {
    title: 'You need the admin role',
    text: "Your account cannot change earshot's settings. Ask an administrator if you need a change.",
    links: [['/phone', 'Open the web phone'], ['/monitor', 'Open the monitor']],
  },
  enter,
  afterSignOut: () => location.reload(),
});

function boot() {
  bind();
  const fromHash = location.hash.slice(1);
  if (TABS.includes(fromHash)) S.tab = fromHash;
  gate.start();
}

async function enter(user) {
  S.me = user;
  S.cfg = await api('GET', '/api/v1/config');
  gate.show('admin');
  renderAll();
  selectTab(S.tab, false);
  watch();
}

// ---- Sections ------------------------------------------------------------

function renderAll() {
  renderUsers(ctx);
  renderTeams(ctx);
  renderQueues(ctx);
  renderDIDs(ctx);
  renderPlan(ctx);
  renderReasons(ctx);
  renderListen(ctx);
  renderTrunks(ctx);
}

function selectTab(tab, focus = true) {
  S.tab = tab;
  for (const t of TABS) {
    const btn = $(`tab-${t}`);
    const on = t === tab;
    btn.setAttribute('aria-selected', String(on));
    btn.tabIndex = on ? 0 : -1;
    $(`${t}-panel`).hidden = !on;
  }
  if (history.replaceState) history.replaceState(null, '', `#${tab}`);
  if (tab === 'audit') loadAudit();
  if (tab === 'trunks') loadTrunks(ctx);
  else stopTrunks();
  if (focus) $(`tab-${tab}`).focus();
}

function bindTabs() {
  for (const t of TABS) $(`tab-${t}`).addEventListener('click', () => selectTab(t));
  document.querySelector('.sidenav .tabs').addEventListener('keydown', (ev) => {
    const i = TABS.indexOf(S.tab);
    let j = -1;
    if (ev.key === 'ArrowDown' || ev.key === 'ArrowRight') j = (i + 1) % TABS.length;
    if (ev.key === 'ArrowUp' || ev.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
    if (ev.key === 'Home') j = 0;
    if (ev.key === 'End') j = TABS.length - 1;
    if (j >= 0) {
      ev.preventDefault();
      selectTab(TABS[j]);
    }
  });
}

/**
 * save sends one change. On success the page takes the configuration the
 * server answers with, redraws and says what changed; on an error it shows
 * the server's sentence in form (when given) and changes nothing. Resolves
 * to true on success. said is what the toast says for routes that do not
 * answer with the changes (adding a user, setting a password).
 */
async function save(method, path, body, form, said) {
  if (form) clearErrors(form);
  const submit = form && form.querySelector('[type=submit]');
  if (submit) submit.disabled = true;
  S.saving = true;
  try {
    const out = await api(method, path, body);
    if (out && out.config) S.cfg = out.config;
    else S.cfg = await api('GET', '/api/v1/config');
    const changes = (out && out.changes) || (said ? [said] : []);
    toast(changes.length ? `Saved: ${changes.join('; ')}` : 'Saved. Nothing changed.', 'good');
    renderAll();
    if (S.tab === 'audit') loadAudit();
    return true;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      gate.showLogin('Your session ended. Sign in again.');
      return false;
    }
    if (form) {
      const box = showError(form, err);
      box.scrollIntoView({block: 'nearest'});
    }
    toast(`Not saved: ${humanize(err.message)}`, 'bad');
    return false;
  } finally {
    S.saving = false;
    if (submit) submit.disabled = false;
  }
}

let toastTimer = 0;

/** Shows a short message at the bottom of the window. */
function toast(msg, kind) {
  const t = $('toast');
  t.textContent = msg;
  t.dataset.kind = kind;
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), kind === 'bad' ? 9000 : 5000);
}

// ---- Changes by other admins --------------------------------------------

let events = null;

function watch() {
  if (events) return;
  events = connectEvents({
    onMessage(msg) {
      if (msg.type !== 'event' || !msg.event || msg.event.kind !== 'config.changed') return;
      if (S.tab === 'audit') loadAudit();
      if (msg.event.actor === S.me.user) return;
      $('remote-change-text').textContent = `${msg.event.actor || 'Someone'} changed the settings just now. Reload to see their change; unsaved edits here would be lost.`;
      $('remote-change').hidden = false;
    },
  });
}

async function reloadSettings() {
  S.cfg = await api('GET', '/api/v1/config');
  $('remote-change').hidden = true;
  renderAll();
}

function bind() {
  $('remote-reload').addEventListener('click', reloadSettings);
  $('audit-refresh').addEventListener('click', () => loadAudit());
  bindTabs();
  bindPeople(ctx);
  bindRouting(ctx);
  bindPlan(ctx);
  bindTrunks(ctx);
}

// For tests: the page's view of things.
window.earshotTest = {
  ready: () => !!S.cfg && !S.saving,
  tab: () => S.tab,
  cfg: () => S.cfg,
};

boot();
