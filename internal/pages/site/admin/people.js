// Users, teams and listen-in permission: who works here and with whom.

import {h, chips, showError, clearErrors} from './dom.js';

const $ = (id) => document.getElementById(id);
const ROLES = [['agent', 'Agent'], ['supervisor', 'Supervisor'], ['admin', 'Admin']];
const enc = encodeURIComponent;

let editing = ''; // the user whose editor is open

function teamsOf(cfg, name) {
  return (cfg.teams || []).filter((t) => (t.agents || []).includes(name) || (t.supervisors || []).includes(name)).map((t) => t.name);
}

function roleBadges(roles) {
  return h('span', {class: 'badges'}, (roles || []).map((r) => h('span', {class: `badge badge-${r}`}, r)));
}

/** Draws the users table and, when open, one user's editor. */
export function renderUsers(ctx) {
  const cfg = ctx.cfg();
  const rows = $('users-rows');
  rows.replaceChildren(...(cfg.users || []).map((u) =>
    h('tr', {dataset: {user: u.name}},
      h('td', {}, h('span', {class: 'strong'}, u.display || u.name), h('span', {class: 'sub'}, u.name)),
      h('td', {}, roleBadges(u.roles)),
      h('td', {class: 'muted'}, teamsOf(cfg, u.name).join(', ') || '—'),
      h('td', {}, u.listen_in ? 'May listen in' : h('span', {class: 'muted'}, '—')),
      h('td', {class: 'actions'}, h('button', {class: 'btn btn-sm', type: 'button', 'aria-label': `Edit ${u.name}`, onclick: () => openEditor(ctx, u.name)}, 'Edit')))));
  if (editing && !(cfg.users || []).some((u) => u.name === editing)) editing = '';
  drawEditor(ctx);
}

function openEditor(ctx, name) {
  editing = name;
  drawEditor(ctx);
  const f = document.getElementById('user-edit');
  if (f) {
    f.scrollIntoView({block: 'nearest'});
    f.querySelector('input').focus();
  }
}

function drawEditor(ctx) {
  const host = $('user-editor');
  const u = (ctx.cfg().users || []).find((x) => x.name === editing);
  if (!u) {
    host.replaceChildren();
    return;
  }
  const self = u.name === ctx.me().user;
  const form = h('form', {class: 'card edit-card', id: 'user-edit', novalidate: true, 'aria-labelledby': 'user-edit-title'},
    h('div', {class: 'card-section'},
      h('div', {class: 'edit-head'}, h('h2', {id: 'user-edit-title'}, `Edit ${u.name}`),
        h('button', {class: 'btn btn-quiet btn-sm', type: 'button', onclick: () => { editing = ''; drawEditor(ctx); }}, 'Close')),
      h('div', {class: 'form-grid'},
        h('div', {class: 'field'}, h('label', {for: 'edit-display'}, 'Display name'), h('input', {id: 'edit-display', name: 'display', value: u.display || '', autocomplete: 'off'})),
        h('div', {class: 'field'}, h('label', {for: 'edit-sip'}, 'New SIP phone password'),
          h('input', {id: 'edit-sip', name: 'sip_password', type: 'password', autocomplete: 'new-password', placeholder: 'Leave empty to keep'}),
          h('p', {class: 'hint'}, `The SIP phone signs in as ${u.name} with this password.`))),
      h('fieldset', {class: 'checks'}, h('legend', {class: 'label'}, 'Roles'),
        ROLES.map(([r, label]) => h('label', {class: 'check'},
          h('input', {type: 'checkbox', name: 'roles', value: r, checked: (u.roles || []).includes(r), disabled: self && r === 'admin'}), ` ${label}`))),
      h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'listen_in', checked: u.listen_in}), ' May listen in on colleagues who allow it'),
      h('p', {class: 'form-error', role: 'alert', hidden: true}),
      h('div', {class: 'row-actions'},
        h('button', {class: 'btn btn-primary', type: 'submit'}, 'Save user'),
        self ? null : h('button', {class: 'btn btn-danger-quiet', type: 'button', onclick: () => removeUser(ctx, u.name, form)}, 'Remove user'))),
    h('div', {class: 'card-section'},
      h('h3', {}, 'Reset password'),
      h('div', {class: 'inline-form'},
        h('div', {class: 'field grow'}, h('label', {for: 'edit-password'}, 'New password'),
          h('input', {id: 'edit-password', type: 'password', autocomplete: 'new-password', 'aria-describedby': 'edit-password-hint'})),
        h('button', {class: 'btn', type: 'button', onclick: () => resetPassword(ctx, u.name, form)}, 'Set password')),
      h('p', {class: 'hint', id: 'edit-password-hint'}, 'At least 8 characters. The user signs in with it from now on.'),
      h('p', {class: 'pw-status', role: 'status'})));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {
      display: form.querySelector('#edit-display').value.trim(),
      roles: [...form.querySelectorAll('[name=roles]:checked')].map((x) => x.value),
      listen_in: form.querySelector('[name=listen_in]').checked,
    };
    const sip = form.querySelector('#edit-sip').value;
    if (sip) body.sip_password = sip;
    ctx.save('PATCH', `/api/v1/users/${enc(u.name)}`, body, form);
  });
  host.replaceChildren(form);
}

async function resetPassword(ctx, name, form) {
  const pw = form.querySelector('#edit-password');
  const status = form.querySelector('.pw-status');
  clearErrors(form);
  status.textContent = '';
  const ok = await ctx.save('PUT', `/api/v1/users/${enc(name)}/password`, {password: pw.value}, form, `user ${name}: password changed`);
  if (ok) {
    const again = document.querySelector('#user-edit .pw-status');
    if (again) again.textContent = `Password of ${name} changed.`;
  }
}

async function removeUser(ctx, name, form) {
  if (!confirm(`Remove ${name}? They are taken off every team and queue, and can no longer sign in.`)) return;
  if (await ctx.save('DELETE', `/api/v1/users/${enc(name)}`, undefined, form)) {
    editing = '';
    drawEditor(ctx);
  }
}

/** Draws one card per team, with its agents and supervisors. */
export function renderTeams(ctx) {
  const cfg = ctx.cfg();
  const users = cfg.users || [];
  const holders = (role) => users.filter((u) => (u.roles || []).includes(role)).map((u) => u.name);
  const list = $('teams-list');
  list.replaceChildren(...(cfg.teams || []).map((t) => {
    const agents = t.agents || [];
    const sups = t.supervisors || [];
    const put = (a, s, form) => ctx.save('PUT', `/api/v1/teams/${enc(t.name)}`, {agents: a, supervisors: s}, form);
    const form = h('form', {class: 'card team-card', novalidate: true, dataset: {team: t.name}});
    const queues = (cfg.queues || []).filter((q) => (q.teams || []).includes(t.name)).map((q) => q.name);
    const group = (label, key, members, candidates, onAdd, onRemove) => {
      const free = candidates.filter((n) => !members.includes(n));
      const sel = h('select', {class: `add-${key}`, name: `add_${key}`, 'aria-label': `Add to ${t.name}: ${label.toLowerCase()}`},
        h('option', {value: ''}, free.length ? `Add ${label === 'Agents' ? 'an agent' : 'a supervisor'}…` : 'Nobody else has the role'),
        free.map((n) => h('option', {value: n}, n)));
      return h('div', {class: 'member-group'},
        h('h3', {}, label, h('span', {class: 'count'}, String(members.length))),
        chips(members, `${t.name} ${label.toLowerCase()}`, onRemove),
        h('div', {class: 'add-row'}, h('div', {class: 'field'}, sel),
          h('button', {class: `btn btn-sm add-${key}-btn`, type: 'button', disabled: !free.length, onclick: () => sel.value && onAdd(sel.value)}, 'Add')));
    };
    form.append(h('div', {class: 'card-section'},
      h('div', {class: 'edit-head'},
        h('div', {}, h('h2', {}, t.name), h('p', {class: 'muted small'}, queues.length ? `Serves ${queues.join(', ')}` : 'Serves no queue')),
        h('button', {class: 'btn btn-danger-quiet btn-sm', type: 'button', onclick: () => confirm(`Remove team ${t.name}?`) && ctx.save('DELETE', `/api/v1/teams/${enc(t.name)}`, undefined, form)}, 'Remove team')),
      h('div', {class: 'members'},
        group('Agents', 'agent', agents, holders('agent'), (n) => put([...agents, n], sups, form), (n) => put(agents.filter((x) => x !== n), sups, form)),
        group('Supervisors', 'supervisor', sups, holders('supervisor'), (n) => put(agents, [...sups, n], form), (n) => put(agents, sups.filter((x) => x !== n), form))),
      h('p', {class: 'form-error', role: 'alert', hidden: true})));
    form.addEventListener('submit', (ev) => ev.preventDefault());
    return form;
  }));
}

/** Draws the listen-in permission of every user. */
export function renderListen(ctx) {
  const cfg = ctx.cfg();
  $('listen-rows').replaceChildren(...(cfg.users || []).map((u) => {
    const id = `listen-${u.name}`;
    const box = h('input', {type: 'checkbox', id, checked: u.listen_in});
    box.addEventListener('change', async () => {
      const ok = await ctx.save('PATCH', `/api/v1/users/${enc(u.name)}`, {listen_in: box.checked});
      if (!ok) box.checked = !box.checked;
    });
    return h('tr', {dataset: {user: u.name}},
      h('td', {}, h('span', {class: 'strong'}, u.display || u.name), h('span', {class: 'sub'}, u.name)),
      h('td', {class: 'muted'}, teamsOf(cfg, u.name).join(', ') || '—'),
      h('td', {}, h('label', {class: 'check switch', for: id}, box, h('span', {}, u.listen_in ? 'Allowed' : 'Not allowed'))));
  }));
}

/** Wires the forms that exist once: add a user, add a team. */
export function bindPeople(ctx) {
  const add = $('user-add');
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {
      name: $('new-user-name').value.trim(),
      display: $('new-user-display').value.trim(),
      password: $('new-user-password').value,
      roles: [...add.querySelectorAll('[name=role]:checked')].map((x) => x.value),
    };
    const sip = $('new-user-sip').value;
    if (sip) body.sip_password = sip;
    if (!body.name) {
      showError(add, 'Enter a user name.');
      return;
    }
    if (await ctx.save('POST', '/api/v1/users', body, add, `user ${body.name} added (${body.roles.join(', ') || 'no role'})`)) add.reset();
  });
  const team = $('team-add');
  team.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('new-team-name').value.trim();
    if (!name) {
      showError(team, 'Enter the new team\'s name.');
      return;
    }
    if ((ctx.cfg().teams || []).some((t) => t.name === name)) {
      showError(team, `There is already a team ${name}.`);
      return;
    }
    if (await ctx.save('PUT', `/api/v1/teams/${enc(name)}`, {agents: [], supervisors: []}, team)) team.reset();
  });
}
