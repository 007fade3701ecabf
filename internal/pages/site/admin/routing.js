// Queues, the numbers that lead to them, and Not Ready reasons.

import {h, showError} from './dom.js';

const $ = (id) => document.getElementById(id);
const enc = encodeURIComponent;
const NS = 1e9;
const STRATEGIES = [
  ['longest-idle', 'Longest idle first'],
  ['round-robin', 'Round robin'],
  ['fewest-calls', 'Fewest calls today'],
  ['ring-all', 'Ring all'],
];

const secs = (ns) => String(Math.round((ns || 0) / NS));

function num(form, name) {
  const v = form.querySelector(`[name=${name}]`).value.trim();
  if (v === '') return 0;
  const n = Number(v);
  return Number.isFinite(n) ? Math.round(n * NS) : NaN;
}

function field(id, label, input, hint) {
  input.id = id;
  return h('div', {class: 'field'}, h('label', {for: id}, label), input, hint ? h('p', {class: 'hint'}, hint) : null);
}

function checkList(name, label, options, chosen) {
  return h('fieldset', {class: 'checks'}, h('legend', {class: 'label'}, label),
    options.length ? options.map((o) => h('label', {class: 'check'}, h('input', {type: 'checkbox', name, value: o, checked: chosen.includes(o)}), ` ${o}`))
      : h('span', {class: 'muted'}, 'None defined.'));
}

/** Draws one form per queue. */
export function renderQueues(ctx) {
  const cfg = ctx.cfg();
  const agents = (cfg.users || []).filter((u) => (u.roles || []).includes('agent')).map((u) => u.name);
  const teams = (cfg.teams || []).map((t) => t.name);
  const others = (q) => (cfg.queues || []).map((x) => x.name).filter((n) => n !== q.name);
  $('queues-list').replaceChildren(...(cfg.queues || []).map((q) => {
    const p = `q-${q.name.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const dids = (cfg.dids || []).filter((d) => d.queue === q.name).map((d) => d.number);
    const form = h('form', {class: 'card queue-card', novalidate: true, dataset: {queue: q.name}},
      h('div', {class: 'card-section'},
        h('div', {class: 'edit-head'},
          h('div', {}, h('h2', {}, q.name), h('p', {class: 'muted small'}, dids.length ? `Numbers: ${dids.join(', ')}` : 'No number leads here yet')),
          h('button', {class: 'btn btn-danger-quiet btn-sm', type: 'button', onclick: () => confirm(`Remove queue ${q.name}?`) && ctx.save('DELETE', `/api/v1/queues/${enc(q.name)}`, undefined, form)}, 'Remove queue')),
        h('div', {class: 'form-grid'},
          field(`${p}-strategy`, 'Strategy', h('select', {name: 'strategy'}, STRATEGIES.map(([v, l]) => h('option', {value: v, selected: q.strategy === v}, l)))),
          field(`${p}-ring`, 'Ring timeout (seconds)', h('input', {name: 'ring_timeout', type: 'number', step: '1', inputmode: 'numeric', value: secs(q.ring_timeout)}), 'Unanswered for this long: the agent goes Not Ready and the call goes back.'),
          field(`${p}-wrap`, 'Wrap-up (seconds)', h('input', {name: 'wrap_up', type: 'number', step: '1', inputmode: 'numeric', value: secs(q.wrap_up)}), 'After Call Work ends after this; 0: only when the agent is Ready.'),
          field(`${p}-maxwait`, 'Max wait (seconds)', h('input', {name: 'max_wait', type: 'number', step: '1', inputmode: 'numeric', value: secs(q.max_wait)}), '0: callers wait as long as it takes.'),
          field(`${p}-onmax`, 'At max wait', h('select', {name: 'on_max_wait'},
            h('option', {value: '', selected: !q.on_max_wait}, '—'),
            h('option', {value: 'hangup', selected: q.on_max_wait === 'hangup'}, 'Play the message and hang up'),
            h('option', {value: 'overflow', selected: q.on_max_wait === 'overflow'}, 'Overflow to another queue'))),
          field(`${p}-overflow`, 'Overflow queue', h('select', {name: 'overflow_to'},
            h('option', {value: ''}, '—'), others(q).map((n) => h('option', {value: n, selected: q.overflow_to === n}, n)))),
          field(`${p}-message`, 'Message before hanging up', h('input', {name: 'message', value: q.message || '', autocomplete: 'off'})),
          field(`${p}-music`, 'Music on hold (WAV file)', h('input', {name: 'music', value: q.music || '', autocomplete: 'off', placeholder: 'A generated tone'}))),
        h('label', {class: 'check'}, h('input', {type: 'checkbox', name: 'record', checked: q.record}), ' Record calls of this queue'),
        h('div', {class: 'form-grid'},
          checkList('teams', 'Teams that serve it', teams, q.teams || []),
          checkList('agents', 'Agents directly', agents, q.agents || [])),
        h('p', {class: 'form-error', role: 'alert', hidden: true}),
        h('div', {class: 'row-actions'}, h('button', {class: 'btn btn-primary', type: 'submit'}, 'Save queue'))));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const body = {
        strategy: form.querySelector('[name=strategy]').value,
        ring_timeout: num(form, 'ring_timeout'),
        wrap_up: num(form, 'wrap_up'),
        max_wait: num(form, 'max_wait'),
        on_max_wait: form.querySelector('[name=on_max_wait]').value,
        overflow_to: form.querySelector('[name=overflow_to]').value,
        message: form.querySelector('[name=message]').value,
        music: form.querySelector('[name=music]').value,
        record: form.querySelector('[name=record]').checked,
        teams: [...form.querySelectorAll('[name=teams]:checked')].map((x) => x.value),
        agents: [...form.querySelectorAll('[name=agents]:checked')].map((x) => x.value),
      };
      for (const k of ['ring_timeout', 'wrap_up', 'max_wait']) {
        if (Number.isNaN(body[k])) {
          showError(form, `${k} must be a number of seconds`);
          return;
        }
      }
      ctx.save('PUT', `/api/v1/queues/${enc(q.name)}`, body, form);
    });
    return form;
  }));
}

let didDraft = null; // rows being edited, or null to show the saved ones

function didRow(ctx, d, i) {
  const queues = (ctx.cfg().queues || []).map((q) => q.name);
  return h('tr', {},
    h('td', {}, h('div', {class: 'field'}, h('input', {'aria-label': `Number ${i + 1}`, name: 'number', value: d.number, inputmode: 'tel', spellcheck: 'false', placeholder: '+15550100'}))),
    h('td', {}, h('div', {class: 'field'}, h('select', {'aria-label': `Queue of number ${i + 1}`, name: 'queue'},
      h('option', {value: ''}, 'Choose…'), queues.map((q) => h('option', {value: q, selected: d.queue === q}, q))))),
    h('td', {}, h('div', {class: 'field'}, h('input', {'aria-label': `Priority of number ${i + 1}`, name: 'priority', type: 'number', step: '1', value: String(d.priority || 0), class: 'narrow'}))),
    h('td', {class: 'actions'}, h('button', {class: 'btn btn-quiet btn-sm', type: 'button', 'aria-label': `Remove number ${i + 1}`, onclick: () => { didDraft = readDIDs(); didDraft.splice(i, 1); drawDIDs(ctx); }}, 'Remove')));
}

function readDIDs() {
  return [...$('dids-rows').querySelectorAll('tr')].map((tr) => ({
    number: tr.querySelector('[name=number]').value.trim(),
    queue: tr.querySelector('[name=queue]').value,
    priority: Number(tr.querySelector('[name=priority]').value || 0),
  }));
}

function drawDIDs(ctx) {
  const rows = didDraft || (ctx.cfg().dids || []);
  $('dids-rows').replaceChildren(...rows.map((d, i) => didRow(ctx, d, i)));
}

/** Draws the numbers as saved. */
export function renderDIDs(ctx) {
  didDraft = null;
  drawDIDs(ctx);
}

let reasonDraft = null;

function drawReasons(ctx) {
  const list = reasonDraft || (ctx.cfg().not_ready_reasons || []);
  $('reasons-list').replaceChildren(...list.map((r, i) => h('li', {class: 'reason'},
    h('span', {}, r),
    h('button', {class: 'btn btn-quiet btn-sm', type: 'button', 'aria-label': `Remove ${r}`, onclick: () => { reasonDraft = [...list]; reasonDraft.splice(i, 1); drawReasons(ctx); }}, 'Remove'))));
}

/** Draws the Not Ready reasons as saved. */
export function renderReasons(ctx) {
  reasonDraft = null;
  drawReasons(ctx);
}

/** Wires the forms that exist once: add a queue, the numbers, the reasons. */
export function bindRouting(ctx) {
  const add = $('queue-add');
  add.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('new-queue-name').value.trim();
    if (!name) {
      showError(add, 'Enter the new queue\'s name.');
      return;
    }
    if ((ctx.cfg().queues || []).some((q) => q.name === name)) {
      showError(add, `There is already a queue ${name}.`);
      return;
    }
    const body = {strategy: 'longest-idle', ring_timeout: 20 * NS, wrap_up: 30 * NS, teams: [], agents: []};
    if (await ctx.save('PUT', `/api/v1/queues/${enc(name)}`, body, add)) add.reset();
  });
  $('did-add').addEventListener('click', () => {
    didDraft = readDIDs();
    didDraft.push({number: '', queue: '', priority: 0});
    drawDIDs(ctx);
    const inputs = $('dids-rows').querySelectorAll('[name=number]');
    inputs[inputs.length - 1].focus();
  });
  $('dids-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.save('PUT', '/api/v1/dids', {dids: readDIDs()}, $('dids-form'));
  });
  const addReason = () => {
    const v = $('new-reason').value.trim();
    if (!v) return;
    reasonDraft = [...(reasonDraft || ctx.cfg().not_ready_reasons || []), v];
    $('new-reason').value = '';
    drawReasons(ctx);
  };
  $('reason-add').addEventListener('click', addReason);
  $('new-reason').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') {
      ev.preventDefault();
      addReason();
    }
  });
  $('reasons-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const reasons = reasonDraft || ctx.cfg().not_ready_reasons || [];
    ctx.save('PUT', '/api/v1/not-ready-reasons', {reasons}, $('reasons-form'));
  });
}
