// SIP trunks: who may send calls in, where calls go out, the caller ID
// presented, and registration with the carrier, with its live state. A
// save applies at once: the SIP edge takes the new list, calls in
// progress keep their trunk.

import {api} from '/shared/api.js';
import {h, sentence} from './dom.js';

const $ = (id) => document.getElementById(id);
const when = new Intl.DateTimeFormat(undefined, {timeStyle: 'medium'});

let regs = new Map(); // trunk name → registration, from GET /api/v1/trunks
let editing = null; // the name of the trunk in the form; '' for a new one
let timer = 0;

const list = (s) => s.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);

/** Loads the registration states, and keeps them fresh while the tab shows. */
export async function loadTrunks(ctx) {
  try {
    const out = await api('GET', '/api/v1/trunks');
    regs = new Map((out.trunks || []).filter((t) => t.registration).map((t) => [t.name, t.registration]));
  } catch {
    regs = new Map();
  }
  renderTrunks(ctx);
  // Cleared only now: a second call made during the await above must not
  // leave two polling loops running.
  clearTimeout(timer);
  timer = 0;
  if (!$('trunks-panel').hidden) timer = setTimeout(() => loadTrunks(ctx), 10000);
}

function registration(t) {
  if (!t.register) return h('span', {class: 'muted'}, 'Not registering');
  const r = regs.get(t.name);
  if (!r) return h('span', {class: 'reg'}, h('span', {class: 'dot dot-warn', 'aria-hidden': 'true'}), 'Starting');
  const label = {registered: 'Registered', registering: 'Registering', failed: 'Failed'}[r.state] || r.state;
  const dot = {registered: 'dot-good', failed: 'dot-bad'}[r.state] || 'dot-warn';
  let detail = '';
  if (r.state === 'registered' && r.next_attempt) detail = `refreshes ${when.format(new Date(r.next_attempt))}`;
  if (r.state === 'failed') detail = `${sentence(r.reason || 'no reason given')} Next try ${r.next_attempt ? when.format(new Date(r.next_attempt)) : 'soon'}.`;
  return h('span', {class: 'reg', dataset: {state: r.state}},
    h('span', {class: `dot ${dot}`, 'aria-hidden': 'true'}), h('strong', {}, label),
    detail ? h('span', {class: 'muted small reg-detail'}, detail) : null);
}

/** Draws the trunk table and the edit form. */
export function renderTrunks(ctx) {
  const trunks = ctx.cfg().trunks || [];
  $('trunks-rows').replaceChildren(...trunks.map((t) => h('tr', {dataset: {trunk: t.name}},
    h('td', {class: 'strong trunk-name'}, t.name),
    h('td', {dataset: {label: 'Calls in from'}}, (t.sources || []).length ? t.sources.join(', ') : h('span', {class: 'muted'}, 'none')),
    h('td', {dataset: {label: 'Calls out to'}}, t.outbound ? h('span', {class: 'mono'}, t.outbound) : h('span', {class: 'muted'}, 'calls in only')),
    h('td', {dataset: {label: 'Caller ID'}}, t.caller_id ? h('span', {class: 'mono'}, t.caller_id) : h('span', {class: 'muted'}, 'per call')),
    h('td', {dataset: {label: 'Registration'}}, registration(t)),
    h('td', {class: 'actions trunk-actions'}, h('button', {class: 'btn btn-sm', type: 'button', 'aria-label': `Edit trunk ${t.name}`, onclick: () => edit(ctx, t.name)}, 'Edit')))));
  $('trunks-empty').hidden = trunks.length > 0;
  if (editing !== null && editing !== '' && !trunks.some((t) => t.name === editing)) editing = null;
  drawForm(ctx);
}

function edit(ctx, name) {
  editing = name;
  drawForm(ctx);
  $('trunk-name').focus();
}

function drawForm(ctx) {
  const form = $('trunk-edit');
  if (editing === null) {
    form.hidden = true;
    return;
  }
  const t = (ctx.cfg().trunks || []).find((x) => x.name === editing) || {name: '', sources: []};
  form.hidden = false;
  $('trunk-edit-title').textContent = editing ? `Trunk ${editing}` : 'New trunk';
  $('trunk-name').value = t.name;
  $('trunk-name').readOnly = !!editing;
  $('trunk-sources').value = (t.sources || []).join(', ');
  $('trunk-outbound').value = t.outbound || '';
  $('trunk-username').value = t.username || '';
  $('trunk-password').value = '';
  $('trunk-password').placeholder = editing ? 'unchanged' : '';
  $('trunk-register').checked = !!t.register;
  $('trunk-registrar').value = t.registrar || '';
  $('trunk-callerid').value = t.caller_id || '';
  $('trunk-fromdomain').value = t.from_domain || '';
  $('trunk-remove').hidden = !editing;
}

async function saveList(ctx, trunks, form) {
  const ok = await ctx.save('PUT', '/api/v1/trunks', {trunks}, form);
  if (ok) {
    editing = null;
    loadTrunks(ctx);
  }
}

function current(ctx) {
  // The trunks as they are, without passwords: the server keeps each one.
  return (ctx.cfg().trunks || []).map((t) => ({...t}));
}

/** Wires the trunk form. */
export function bindTrunks(ctx) {
  $('trunk-new').addEventListener('click', () => edit(ctx, ''));
  $('trunk-cancel').addEventListener('click', () => {
    editing = null;
    drawForm(ctx);
  });
  $('trunk-remove').addEventListener('click', () => {
    if (!editing || !confirm(`Remove trunk ${editing}? Calls from its sources are refused from now on.`)) return;
    saveList(ctx, current(ctx).filter((t) => t.name !== editing), $('trunk-edit'));
  });
  $('trunk-edit').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget;
    const trunks = current(ctx);
    const old = trunks.find((t) => t.name === editing) || {};
    const t = {
      ...old,
      name: $('trunk-name').value.trim(),
      sources: list($('trunk-sources').value),
      outbound: $('trunk-outbound').value.trim(),
      username: $('trunk-username').value.trim(),
      register: $('trunk-register').checked,
      registrar: $('trunk-registrar').value.trim(),
      caller_id: $('trunk-callerid').value.replace(/[\s()-]/g, ''),
      from_domain: $('trunk-fromdomain').value.trim(),
    };
    const pw = $('trunk-password').value;
    if (pw !== '') t.password = pw;
    const i = trunks.findIndex((x) => x.name === editing);
    if (i >= 0) trunks[i] = t;
    else trunks.push(t);
    saveList(ctx, trunks, form);
  });
}

/** Stops refreshing (the tab was left). */
export function stopTrunks() {
  clearTimeout(timer);
}
