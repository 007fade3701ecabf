// The assist history: every assist and listen-in session on the
// supervisor's teams, from the audit (GET /api/v1/assists?history=1): who,
// which agent and call, each mode with when it began and how long it held,
// and how the session ended.

import {api, clock} from '/shared/api.js';
import {cell} from '/shared/dom.js';
import {MODE_LABEL, auditEnd, sentence, when} from './words.js';

const $ = (id) => document.getElementById(id);

const SPAN_LABEL = {ringing: 'Rang', listen: 'Listen', talk: 'Talk', takeover: 'Take over'};

/**
 * Loads and draws the history. who(user) and agentName(name) give display
 * names. Resolves to the number of sessions shown.
 */
export async function loadHistory({who, agentName}) {
  const body = $('history-rows');
  const empty = $('history-empty');
  body.setAttribute('aria-busy', 'true');
  let records;
  try {
    const out = await api('GET', '/api/v1/assists?history=1');
    records = out.history || [];
  } catch (err) {
    body.replaceChildren();
    empty.hidden = false;
    $('history-empty-title').textContent = 'The history could not be loaded';
    $('history-empty-text').textContent = sentence(err.message);
    body.removeAttribute('aria-busy');
    return 0;
  }
  const now = Date.now();
  body.replaceChildren(...records.map((r) => row(r, now, who, agentName)));
  empty.hidden = records.length > 0;
  $('history-empty-title').textContent = 'No assist sessions yet';
  $('history-empty-text').textContent = 'Sessions appear here once a supervisor assists or a colleague listens in.';
  body.removeAttribute('aria-busy');
  return records.length;
}

function row(r, now, who, agentName) {
  const tr = document.createElement('tr');
  tr.dataset.session = r.id;
  cell(tr, when(r.started), 'tnum');
  const sup = document.createElement('span');
  sup.textContent = who(r.user, r.user_display);
  if (r.kind === 'listen') {
    const tag = document.createElement('span');
    tag.className = 'tag';
    tag.textContent = 'listen in';
    sup.append(' ', tag);
  }
  cell(tr, sup);
  cell(tr, r.agent_display && agentName(r.agent) === r.agent ? r.agent_display : agentName(r.agent));
  cell(tr, [r.queue, r.call].filter(Boolean).join(' · '), 'muted tnum');
  const modes = document.createElement('span');
  modes.className = 'spans';
  for (const s of r.modes || []) {
    const chip = document.createElement('span');
    chip.className = 'span-chip';
    chip.dataset.mode = s.mode;
    const from = Date.parse(s.from);
    const to = s.to ? Date.parse(s.to) : r.ended ? Date.parse(r.ended) : now;
    chip.textContent = `${SPAN_LABEL[s.mode] || MODE_LABEL[s.mode] || s.mode} ${clock(to - from)}`;
    chip.title = `${SPAN_LABEL[s.mode] || s.mode} from ${when(s.from)}${s.to ? ` to ${when(s.to)}` : ''}`;
    modes.append(chip);
  }
  cell(tr, modes, 'c-modes');
  const end = r.ended ? Date.parse(r.ended) : now;
  cell(tr, clock(end - Date.parse(r.started)), 'num');
  const how = document.createElement('span');
  how.className = r.ended ? 'ended' : 'live';
  how.textContent = r.ended ? auditEnd(r.reason) : 'Live now';
  cell(tr, how);
  return tr;
}
