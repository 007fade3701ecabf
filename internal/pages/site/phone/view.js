// Drawing the /phone page: render(view) puts the page's state into the
// DOM. It reads the state and changes nothing else; the controller
// (phone.js) owns the state and the actions.

import {sentence} from '/shared/words.js';
import {clock, text} from '/shared/api.js';

const $ = (id) => document.getElementById(id);

const STATE_LABEL = {
  offline: 'Offline',
  available: 'Available',
  not_ready: 'Not Ready',
  ringing: 'Ringing',
  on_call: 'On Call',
  acw: 'After Call Work',
  standby: 'Standing by',
  connecting: 'Connecting…',
};

let S = null; // the state being drawn
let phone = null; // the Softphone
let isAgent = () => false;
let dismiss = () => {};

/**
 * Draws the page. v holds the state S, the Softphone, isAgent() and
 * dismiss(id) for the notices' buttons.
 */
export function render(v) {
  ({S, phone, isAgent, dismiss} = v);
  drawPage();
}

/** The page's state in one word, as earshotTest.state() reports it. */
export function uiState(v) {
  ({S, phone, isAgent} = v);
  return stateWord();
}

export {sentence};

/** Says, for the agent, what is wrong with the microphone of Softphone p. */
export function micSentence(p) {
  switch (p && p.micStatus) {
    case 'denied':
      return 'The microphone is blocked. Allow microphone access for this site (the icon in the address bar), then choose Available again.';
    case 'missing':
      return 'No microphone was found. Connect a headset, then choose Available again.';
    case 'failed':
      return 'The microphone could not be started. Close other apps that use it, then try again.';
    case 'asking':
      return 'Waiting for you to allow the microphone…';
    default:
      return '';
  }
}

function stateWord() {
  if (S.view !== 'phone') return S.view;
  if (S.call) return S.call.phase === 'ringing' ? 'ringing' : 'on_call';
  if (!isAgent()) return phone && phone.status === 'connected' ? 'standby' : 'connecting';
  return (S.agent && S.agent.state) || 'offline';
}

function drawPage() {
  $('login-view').hidden = S.view !== 'login';
  $('replaced-view').hidden = S.view !== 'replaced';
  $('phone-view').hidden = S.view !== 'phone';
  $('who').hidden = S.view !== 'phone';
  if (S.view !== 'phone') {
    document.title = 'Phone · earshot';
    return;
  }
  const st = stateWord();
  const now = Date.now();
  document.title = (st === 'ringing' ? 'Ringing · ' : '') + 'Phone · earshot';

  text($('who-name'), S.me.display || S.me.user);
  const audioUp = phone.status === 'connected';
  const conn = S.ws !== 'open' ? ['warn', 'Reconnecting…'] : audioUp ? ['good', 'Connected'] : ['warn', 'Connecting audio…'];
  $('connection-dot').className = 'dot dot-' + conn[0];
  text($('connection-text'), conn[1]);

  drawState(st, now);
  drawCall(st, now);
  drawHelp();
  drawListen(st);
  drawRingOn();
  drawAudio();
  drawNotices();
}

// SIDE_LABEL names a connected call of this page's that is not a customer
// routed to this user: one the user listens to or assists. The agent
// state does not change for it, so the badge says what the user is doing.
const SIDE_LABEL = {listen: 'Listening in', assist: 'Assisting'};

function drawState(st, now) {
  const badge = $('badge');
  badge.dataset.state = st;
  const side = st === 'on_call' && S.call && SIDE_LABEL[S.call.kind];
  text($('badge-text'), side || STATE_LABEL[st] || st);
  const a = S.agent;
  text($('state-reason'), st === 'not_ready' && a && a.reason ? sentence(a.reason).replace(/\.$/, '') : '');
  const since = a && a.since ? Date.parse(a.since) : 0;
  text($('state-time'), since && isAgent() && st !== 'offline' && !side ? `for ${clock(now - since)}` : '');

  const agent = isAgent();
  $('state-controls-label').closest('.state-controls').hidden = !agent;
  const busy = st === 'on_call' || st === 'ringing';
  $('go-available').disabled = !agent || st === 'available' || busy || st === 'acw';
  $('not-ready-reason').disabled = !agent || st === 'on_call' || $('not-ready-reason').options.length < 2;
  const hint = $('state-hint');
  const words = S.hint || (phone.micStatus !== 'ready' && phone.micStatus !== 'unknown' ? micSentence(phone) : '');
  text(hint, words);
  hint.classList.toggle('warn', !!words);
}

function drawCall(st, now) {
  const card = $('call-card');
  const c = S.call;
  const acw = !c && st === 'acw';
  const phase = c ? c.phase : acw ? 'acw' : st === 'available' ? 'waiting' : 'idle';
  card.dataset.phase = phase;
  $('call-idle').hidden = !!c || acw;
  $('call-live').hidden = !c && !acw;

  if (!c && !acw) {
    const [title, words] = idleWords(st);
    text($('idle-title'), title);
    text($('idle-text'), words);
    drawCallMe();
    return;
  }
  $('ringing-actions').hidden = phase !== 'ringing';
  $('incall-actions').hidden = phase !== 'connected';
  // A listener only listens: nothing to mute, no keys to press.
  const listening = !!c && c.kind === 'listen';
  $('mute').hidden = listening;
  $('keypad-toggle').hidden = listening;
  text($('hangup-text'), listening ? 'Stop listening' : 'Hang up');
  $('keypad').hidden = phase !== 'connected' || !S.keypad || listening;
  $('keypad-toggle').setAttribute('aria-expanded', String(S.keypad && phase === 'connected'));
  $('acw-actions').hidden = phase !== 'acw';

  const shown = c || S.lastCall || {caller: S.agent && S.agent.caller, queue: S.agent && S.agent.queue};
  // a colleague listening in is not told who the customer is
  text($('call-caller'), shown.kind === 'listen' && !shown.caller ? `${shown.agent}'s call` : shown.caller || 'Unknown caller');
  text($('call-queue'), shown.queue ? `Queue: ${shown.queue}` : '');
  const other = c && (c.kind === 'assist' || c.kind === 'listen') ? c.agent : '';
  if (phase === 'ringing') {
    text($('call-kind'), other ? `${c.kind === 'assist' ? 'Assist' : 'Listen in'} · ${other}'s call` : 'Incoming call');
    text($('call-time'), `Ringing for ${clock(now - c.since)}`);
  } else if (phase === 'connected') {
    text($('call-kind'), other ? `${c.kind === 'assist' ? 'Assisting' : 'Listening to'} ${other}` : 'On call' + (S.assistedBy ? ` · assisted by ${assistant()}` : ''));
    const a = S.agent;
    const since = a && a.call === c.id && a.call_since ? Date.parse(a.call_since) : c.since;
    text($('call-time'), clock(now - since));
    const muted = phone.muted;
    $('mute').setAttribute('aria-pressed', String(muted));
    text($('mute-text'), muted ? 'Unmute' : 'Mute');
  } else {
    text($('call-kind'), 'After call work');
    text($('call-time'), acwWords(now));
  }
}

// drawCallMe shows "Call me" to agents who may use it (everyone in the
// demo; admins elsewhere), with its progress and problems in words.
function drawCallMe() {
  const box = $('call-me-box');
  box.hidden = !(S.demo && S.demo.call_me && isAgent());
  if (box.hidden) return;
  const cm = S.callMe;
  $('call-me').disabled = cm.phase === 'calling';
  const hint = $('call-me-text');
  const idle = S.demo.enabled
    ? 'Demo: a simulated customer calls your queue, and the call rings here.'
    : 'Test call: a simulated customer on this server calls your queue, and the call rings here.';
  text(hint, cm.text || idle);
  hint.classList.toggle('warn', cm.phase === 'error');
}

function idleWords(st) {
  const reason = S.agent && S.agent.reason;
  switch (st) {
    case 'available':
      return S.ringOn === 'phone'
        ? ['Waiting for a call', 'Calls from your queues ring on your SIP phone.']
        : ['Waiting for a call', 'Calls from your queues ring here.'];
    case 'not_ready':
      return ['No call', `You are Not Ready${reason ? ` (${reason})` : ''}. Choose Available to take calls.`];
    case 'offline':
      return ['No call', 'Choose Available to take calls.'];
    case 'standby':
    case 'connecting':
      return ['No call', 'Assist calls ring here when you assist an agent.'];
    default:
      return ['No call', ''];
  }
}

// acwWords counts down to the end of wrap-up when the server says when it
// ends, and up from the call's end otherwise.
function acwWords(now) {
  const a = S.agent;
  if (!a) return '';
  let ends = a.wrap_up_ends ? Date.parse(a.wrap_up_ends) : 0;
  const secs = S.me.wrap_up && a.queue ? S.me.wrap_up[a.queue] : 0;
  if (!ends && secs && a.since) ends = Date.parse(a.since) + secs * 1000;
  if (ends) return `Ready again automatically in ${clock(ends - now)}`;
  return a.since ? `Wrapping up for ${clock(now - Date.parse(a.since))}` : '';
}

function drawHelp() {
  const btn = $('help');
  const help = (S.agent && S.agent.help) || 'none';
  const agent = isAgent();
  btn.closest('.card').hidden = !agent;
  btn.dataset.help = help;
  btn.setAttribute('aria-pressed', String(help === 'requested'));
  btn.setAttribute('aria-disabled', String(help === 'assisting' || !S.agent || S.agent.state === 'offline'));
  const words = {none: 'Ask for help', requested: 'Help requested', assisting: 'Being assisted'}[help];
  text($('help-text'), words);
  const desc = {
    none: S.agent && S.agent.state === 'offline' ? 'Available once you are signed in to take calls.' : 'Alerts the supervisors of your team.',
    requested: (S.helpWhy ? S.helpWhy + ' ' : 'Your supervisors have been alerted. ') + 'Select again to cancel.',
    assisting: S.assistedBy ? `${assistant()} is assisting you.` : 'A supervisor is assisting you.',
  }[help];
  text($('help-desc'), desc);
  $('help-desc').classList.toggle('warn', help === 'requested' && !!S.helpWhy);
}

// assistant is the display name of the supervisor assisting, as the page
// knows it.
function assistant() {
  return (S.names && S.names.get(S.assistedBy)) || S.assistedBy;
}

function drawListen(st) {
  const mode = (S.agent && S.agent.listen_in) || 'off';
  for (const r of document.querySelectorAll('input[name="listen"]')) {
    r.checked = r.value === mode;
    r.disabled = !S.agent || (r.value === 'call' && st !== 'on_call' && st !== 'ringing');
  }
  $('listen-title').closest('.card').hidden = !isAgent();
}

function drawRingOn() {
  for (const r of document.querySelectorAll('input[name="ring-on"]')) {
    r.checked = r.value === S.ringOn;
    r.disabled = !S.agent;
  }
  $('ring-title').closest('.card').hidden = !isAgent();
  text($('ring-desc'), S.ringOn === 'phone'
    ? 'Calls ring on your registered SIP phone, for this sign-in. This window still shows your state.'
    : 'Calls ring in this window, for this sign-in.');
}

function drawAudio() {
  const mic = {
    unknown: ['', 'Microphone not checked yet'],
    asking: ['warn', 'Waiting for microphone permission…'],
    ready: ['good', 'Microphone ready'],
    denied: ['bad', 'Microphone blocked'],
    missing: ['bad', 'No microphone found'],
    failed: ['bad', 'Microphone failed to start'],
  }[phone.micStatus];
  $('mic-dot').className = 'dot' + (mic[0] ? ' dot-' + mic[0] : '');
  text($('mic-text'), mic[1] + (phone.micStatus === 'ready' && phone.muted ? ' (muted)' : ''));
  $('mic-retry').hidden = !['denied', 'missing', 'failed'].includes(phone.micStatus);
  const audio = {
    off: ['', 'Audio not connected'],
    new: ['warn', 'Connecting audio…'],
    connecting: ['warn', 'Connecting audio…'],
    connected: ['good', 'Audio connected'],
    disconnected: ['warn', 'Audio reconnecting…'],
    failed: ['bad', 'Audio connection failed; retrying'],
    closed: ['', 'Audio closed'],
  }[phone.status] || ['', phone.status];
  $('audio-dot').className = 'dot' + (audio[0] ? ' dot-' + audio[0] : '');
  text($('audio-text'), audio[1]);
}

function drawNotices() {
  const box = $('notices');
  const have = new Map([...box.children].map((el) => [Number(el.dataset.id), el]));
  for (const [id, el] of have) if (!S.notices.some((n) => n.id === id)) el.remove();
  for (const n of S.notices) {
    const shown = have.get(n.id);
    if (shown) {
      // A name learnt after the notice came: the words change in place.
      text(shown.firstChild, n.text);
      shown.lastChild.setAttribute('aria-label', 'Dismiss: ' + n.text);
      continue;
    }
    const el = document.createElement('div');
    el.className = `notice notice-${n.kind}`;
    el.dataset.id = String(n.id);
    el.setAttribute('role', n.kind === 'bad' ? 'alert' : 'status');
    const p = document.createElement('span');
    p.textContent = n.text;
    const close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn btn-quiet notice-close';
    close.textContent = 'Dismiss';
    close.setAttribute('aria-label', 'Dismiss: ' + n.text);
    close.addEventListener('click', () => dismiss(n.id));
    el.append(p, close);
    box.append(el);
  }
}
