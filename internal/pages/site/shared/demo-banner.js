// The demo banner: under "earshot demo", a slim bar above every page that
// says the callers are simulated, and lets supervisors and admins change
// how many call per minute, or pause them. Agents see the same words,
// read-only. Outside the demo (or signed out) it shows nothing.
//
// A page includes it with
//   <link rel="stylesheet" href="/shared/demo-banner.css">
//   <script type="module" src="/shared/demo-banner.js"></script>
// Every status it reads is also sent to the page as an "earshot:demo"
// event on document (detail: the GET /api/v1/demo answer).

import {api, me, text} from '/shared/api.js';

// RATES are the steps of the − and + buttons, in calls per minute.
const RATES = [0, 1, 2, 3, 4, 6, 8, 10, 15, 20, 30, 40, 60, 90, 120];
const POLL_MS = 3000;

let status = null; // the last GET /api/v1/demo answer
let busy = false; // a change is on its way
let error = '';
let bar = null;
let timer = 0;

function el(tag, cls, words) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (words) e.textContent = words;
  return e;
}

function build() {
  bar = el('div', 'demo-banner');
  bar.id = 'demo-banner';
  bar.setAttribute('role', 'region');
  bar.setAttribute('aria-label', 'Demo');
  bar.hidden = true;

  const tag = el('span', 'demo-tag', 'Demo');
  const what = el('span', 'demo-what', 'Simulated callers');

  const rate = el('span', 'demo-rate');
  const down = el('button', 'demo-btn demo-step', '−');
  down.type = 'button';
  down.id = 'demo-slower';
  down.setAttribute('aria-label', 'Fewer calls per minute');
  const value = el('output', 'demo-value num');
  value.id = 'demo-rate';
  value.setAttribute('aria-live', 'polite');
  const up = el('button', 'demo-btn demo-step', '+');
  up.type = 'button';
  up.id = 'demo-faster';
  up.setAttribute('aria-label', 'More calls per minute');
  rate.append(down, value, up);

  const pause = el('button', 'demo-btn demo-pause');
  pause.type = 'button';
  pause.id = 'demo-pause';

  const counts = el('span', 'demo-counts num');
  counts.id = 'demo-counts';
  const problem = el('span', 'demo-error');
  problem.id = 'demo-error';
  problem.setAttribute('role', 'alert');

  bar.append(tag, what, rate, el('span', 'demo-sep', '·'), pause, el('span', 'demo-sep', '·'), counts, problem);
  down.addEventListener('click', () => step(-1));
  up.addEventListener('click', () => step(1));
  pause.addEventListener('click', () => change({paused: !status.paused}));
  document.body.prepend(bar);
}

function draw() {
  if (!bar) build();
  const s = status;
  bar.hidden = !s || !s.enabled;
  if (bar.hidden) return;
  const canChange = s.can_change;
  bar.classList.toggle('demo-readonly', !canChange);
  bar.classList.toggle('demo-paused', s.paused);
  text(document.getElementById('demo-rate'), `${s.calls_per_minute} calls/min`);
  const slower = document.getElementById('demo-slower');
  const faster = document.getElementById('demo-faster');
  const pause = document.getElementById('demo-pause');
  slower.hidden = faster.hidden = !canChange;
  slower.disabled = busy || s.calls_per_minute <= RATES[0];
  faster.disabled = busy || s.calls_per_minute >= RATES[RATES.length - 1];
  pause.disabled = busy || !canChange;
  pause.setAttribute('aria-pressed', String(s.paused));
  text(pause, canChange ? (s.paused ? 'Resume' : 'Pause') : s.paused ? 'Paused' : s.calls_per_minute ? 'Running' : 'No new calls');
  pause.classList.toggle('demo-state', !canChange);
  text(document.getElementById('demo-counts'), `${s.live} in progress · ${s.placed} placed`);
  text(document.getElementById('demo-error'), error);
}

function publish() {
  document.dispatchEvent(new CustomEvent('earshot:demo', {detail: status}));
}

async function refresh() {
  clearTimeout(timer);
  try {
    status = await api('GET', '/api/v1/demo');
  } catch {
    status = null; // signed out, or the server is away: show nothing
  }
  draw();
  publish();
  timer = setTimeout(refresh, document.hidden ? 10 * POLL_MS : POLL_MS);
}

function step(dir) {
  const now = status.calls_per_minute;
  const next = dir > 0 ? RATES.find((r) => r > now) : [...RATES].reverse().find((r) => r < now);
  if (next !== undefined) change({calls_per_minute: next});
}

async function change(body) {
  busy = true;
  error = '';
  draw();
  try {
    await me(); // the CSRF token, whichever page this is
    status = await api('PUT', '/api/v1/demo', body);
    publish();
  } catch (e) {
    error = e.message ? e.message[0].toUpperCase() + e.message.slice(1) : 'The change was not made.';
  } finally {
    busy = false;
    draw();
  }
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refresh();
});

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', refresh);
else refresh();

/** Reads the status again now (a page calls it after signing in). */
export function refreshDemo() {
  return refresh();
}
