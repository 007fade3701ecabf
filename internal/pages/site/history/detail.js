// The details of one call: facts, the recording and supervisor tracks
// with players and download links, the assist audit, and the timeline.

import {api, asUser} from '/shared/api.js';
import {OUTCOME, MODE, eventText, full, seconds, sentence, time} from './words.js';

const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Loads call id and draws it in the details panel. Resolves to the detail, or null. */
export async function showCall(id, name) {
  const panel = $('detail');
  panel.hidden = false;
  panel.dataset.call = id;
  panel.setAttribute('aria-busy', 'true');
  $('d-error').hidden = true;
  $('d-body').hidden = true;
  $('d-title').textContent = 'Loading…';
  $('d-sub').textContent = id;
  let d;
  try {
    d = await api('GET', `/api/v1/call-history/${encodeURIComponent(id)}`);
  } catch (err) {
    if (panel.dataset.call !== id) return null;
    $('d-title').textContent = 'This call could not be shown';
    $('d-error').hidden = false;
    $('d-error').textContent = sentence(err.message);
    panel.removeAttribute('aria-busy');
    return null;
  }
  if (panel.dataset.call !== id) return null;
  draw(d, name);
  panel.removeAttribute('aria-busy');
  return d;
}

function draw(d, name) {
  const c = d.call;
  $('d-title').textContent = c.caller || 'Unknown caller';
  $('d-sub').textContent = `${full(c.arrived)} · ${c.id}`;
  facts(c, name);
  recording(d.recording, c, name);
  audit(d.sessions || [], c, name);
  timeline(d.timeline || [], c, name);
  $('d-body').hidden = false;
}

function facts(c, name) {
  const dl = $('d-facts');
  dl.replaceChildren();
  const add = (k, v, cls) => {
    const wrap = el('div', 'fact');
    wrap.append(el('dt', '', k));
    const dd = el('dd', cls || '');
    if (v instanceof Node) dd.append(v);
    else dd.textContent = v;
    wrap.append(dd);
    dl.append(wrap);
  };
  const pill = el('span', 'outcome', OUTCOME[c.outcome] || c.outcome);
  pill.dataset.outcome = c.outcome;
  add('Outcome', pill);
  add('Dialled', c.did || '—', 'num');
  add('Queue', c.queues.length > 1 ? `${c.queue} → ${c.queues.slice(1).join(' → ')}` : c.queue);
  add('Handled by', c.handlers.length ? c.handlers.map(name).join(' → ') : 'Nobody');
  add('Waited', seconds(c.wait_seconds), 'num');
  add('Duration', seconds(c.duration_seconds), 'num');
  add('Assisted by', c.assisted_by.length ? c.assisted_by.map(name).join(', ') : '—');
  if (c.listened_by.length) add('Listened in', c.listened_by.map(name).join(', '));
  if (c.ended) add('Ended', `${time(c.ended)}${c.ended_by ? ` by ${c.ended_by === 'customer' ? 'the customer' : name(c.ended_by)}` : ''}`);
}

/** An offset in the recording, to the tenth of a second: 1:02.4. */
function offset(sec) {
  const m = Math.floor(sec / 60);
  const s = (sec - m * 60).toFixed(1).padStart(4, '0');
  return `${m}:${s}`;
}

function icon(id) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS(ns, 'use');
  use.setAttribute('href', `#${id}`);
  svg.append(use);
  return svg;
}

function player(label, url, download, fileName) {
  const wrap = el('div', 'player');
  const head = el('div', 'player-head');
  head.append(el('span', 'player-label', label));
  const a = el('a', 'btn btn-sm download');
  a.href = asUser(download);
  a.setAttribute('download', fileName);
  a.append(icon('i-download'), 'Download');
  a.setAttribute('aria-label', `Download ${label.toLowerCase()}`);
  head.append(a);
  const audio = el('audio');
  audio.controls = true;
  audio.preload = 'metadata';
  audio.src = asUser(url);
  audio.setAttribute('aria-label', label);
  wrap.append(head, audio);
  return wrap;
}

function recording(rec, c, name) {
  const box = $('d-rec');
  box.replaceChildren();
  if (!rec) {
    box.append(el('p', 'muted', "This call was not recorded: its queue does not record calls."));
    return;
  }
  if (!c.ended) {
    box.append(el('p', 'muted', 'The call is still going on. Its recording can be played once it ends.'));
    return;
  }
  if (!rec.available) {
    box.append(el('p', 'notice notice-warn', 'The recording file is missing from the data folder.'));
    return;
  }
  const main = player('Call recording', rec.url, rec.download_url, `${c.id}.wav`);
  main.id = 'rec-main';
  main.append(el('p', 'hint', 'Left: what the customer said. Right: what the customer heard. A supervisor\u2019s whisper is never on it.'));
  box.append(main);
  for (const t of rec.tracks) {
    const p = player(`${name(t.supervisor)}\u2019s track`, t.url, t.download_url, `${c.id}-${t.session}.wav`);
    p.classList.add('track');
    p.dataset.session = t.session;
    p.append(el('p', 'hint', `What ${name(t.supervisor)} said, from ${offset(t.offset_seconds)} into the call recording.`));
    box.append(p);
  }
}

function audit(sessions, c, name) {
  const list = $('d-audit');
  list.replaceChildren();
  $('d-audit-none').hidden = sessions.length > 0;
  for (const s of sessions) {
    const li = el('li', 'session');
    li.dataset.session = s.id;
    const head = el('div', 'session-head');
    const who = el('strong', '', name(s.user));
    const kind = el('span', 'tag', s.kind === 'listen' ? 'listen-in' : 'assist');
    head.append(who, ' ', kind, el('span', 'muted', ` on ${name(s.agent)}'s call`));
    const spans = el('div', 'spans');
    for (const m of s.modes) {
      const chip = el('span', 'span-chip');
      chip.dataset.mode = m.mode;
      const to = m.to || s.ended;
      const len = to ? seconds((Date.parse(to) - Date.parse(m.from)) / 1000) : 'now';
      chip.textContent = `${MODE[m.mode] || m.mode} ${time(m.from)} · ${len}`;
      chip.title = `${MODE[m.mode] || m.mode} from ${full(m.from)}${to ? ` to ${full(to)}` : ''}`;
      spans.append(chip);
    }
    const end = el('p', 'session-end', s.ended ? `Ended ${time(s.ended)}: ${s.reason || 'closed'}` : 'Still going on');
    li.append(head, spans, end);
    list.append(li);
  }
}

function timeline(evs, c, name) {
  const list = $('d-timeline');
  list.replaceChildren();
  const t0 = Date.parse(c.arrived);
  for (const e of evs) {
    const li = el('li');
    li.dataset.kind = e.kind;
    const at = el('span', 'tl-at num', `+${seconds((Date.parse(e.at) - t0) / 1000)}`);
    at.title = full(e.at);
    li.append(at, el('span', 'tl-text', eventText(e, name)));
    list.append(li);
  }
}
