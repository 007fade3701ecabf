// The /phone page: sign in, agent state, calls, help and Let Listen In.
// State arrives on the WebSocket and from API answers, lands in S, and
// render() draws S into the page; controls only send requests.

import {api, login, me, logout, connectEvents, text} from '/shared/api.js';
import {Softphone} from './softphone.js';
import {Ringer} from './ringer.js';
import {render as draw, uiState as stateOf, sentence, micSentence} from './view.js';
import {refreshDemo} from '/shared/demo-banner.js';

const $ = (id) => document.getElementById(id);

const ENDED = {
  hangup: null, // the agent's own Hang up needs no notice
  rejected: ['info', 'Call rejected. You are Not Ready until you choose Available.'],
  missed: ['warn', 'Missed call: it was not answered in time. You are Not Ready until you choose Available.'],
  cancelled: ['info', 'The caller hung up or the call went to a colleague before you answered.'],
  customer_hangup: ['info', 'The caller hung up.'],
  taken_over: ['info', 'A supervisor has taken over the call.'],
  connection_lost: ['bad', 'The call ended because the audio connection was lost.'],
};

// CLEANUP_KEY remembers, in this browser, whether noise suppression and
// automatic gain are on.
const CLEANUP_KEY = 'earshot.phone.reduceNoise';

// RING_KEY remembers, for this sign-in (this tab), where calls ring:
// "browser" or "phone" (the agent's registered SIP phone).
const RING_KEY = 'earshot.phone.ringOn';

// S is everything the page shows.
const S = {
  view: 'loading', // loading | login | phone | replaced
  me: null, // GET /api/v1/me
  agent: null, // the agent's row: state, reason, since, help, listen_in, …
  call: null, // {id, caller, queue, phase: 'ringing' | 'connected', since}
  lastCall: null, // the call After Call Work is for
  ws: 'connecting', // connecting | open | retrying | ended
  hint: '',
  keypad: false,
  assistedBy: '',
  ringOn: 'browser', // where calls ring, as chosen here
  ringOnServer: '', // what the server last confirmed
  notices: [], // {id, kind, text}
  demo: null, // GET /api/v1/demo, as the demo banner last read it
  callMe: {phase: '', text: ''}, // phase: '' | 'calling' | 'error'
};

// CALL_ME_WAIT is how long "Calling you…" waits for the ring.
const CALL_ME_WAIT = 20000;

let events = null;
let phone = null;
let audioCtx = null;
let noticeSeq = 0;
let callMeTimer = 0;
const ringer = new Ringer(audioContext);

function audioContext() {
  if (!audioCtx) audioCtx = new AudioContext();
  return audioCtx;
}

// ---- Start ---------------------------------------------------------------

async function boot() {
  bind();
  try {
    S.me = await me();
    enterPhone();
  } catch (err) {
    showLogin(err.status === 401 ? '' : sentence(err.message));
  }
}

function showLogin(message) {
  S.view = 'login';
  render();
  const e = $('login-error');
  e.hidden = !message;
  text(e, message || '');
  $('login-user').focus();
}

async function submitLogin(ev) {
  ev.preventDefault();
  const user = $('login-user').value.trim();
  const password = $('login-password').value;
  const err = $('login-error');
  $('login-user').setAttribute('aria-invalid', String(!user));
  $('login-password').setAttribute('aria-invalid', String(!password));
  if (!user || !password) {
    err.hidden = false;
    text(err, !user ? 'Enter your user name.' : 'Enter your password.');
    (!user ? $('login-user') : $('login-password')).focus();
    return;
  }
  const btn = $('login-submit');
  btn.disabled = true;
  text(btn, 'Signing in…');
  try {
    await login(user, password);
    sessionStorage.removeItem(RING_KEY); // a new sign-in rings here again
    S.me = await me();
    $('login-password').value = '';
    err.hidden = true;
    audioContext().resume().catch(() => {}); // the click lets the page make sound
    enterPhone();
  } catch (e) {
    err.hidden = false;
    text(err, sentence(e.message));
    $('login-password').select();
  } finally {
    btn.disabled = false;
    text(btn, 'Sign in');
  }
}

function isAgent() {
  return S.me && S.me.roles.includes('agent');
}

function enterPhone() {
  S.view = 'phone';
  S.agent = S.me.agent || null;
  S.notices = [];
  S.ringOn = sessionStorage.getItem(RING_KEY) === 'phone' ? 'phone' : 'browser';
  S.ringOnServer = '';
  fillReasons(S.me.not_ready_reasons || []);
  phone = new Softphone({send: (m) => (events ? events.send(m) : false), audio: $('remote-audio'), context: audioContext, onChange: render});
  phone.cleanup = localStorage.getItem(CLEANUP_KEY) !== 'off';
  $('cleanup').checked = phone.cleanup;
  events = connectEvents({onMessage, onStatus});
  phone.ensureMic();
  refreshDemo();
  render();
}

function fillReasons(reasons) {
  const sel = $('not-ready-reason');
  sel.replaceChildren(new Option(reasons.length ? 'Not Ready…' : 'Not Ready (no reasons set up)', ''));
  for (const r of reasons) sel.add(new Option(r, r));
  sel.disabled = reasons.length === 0;
}

// ---- Messages ------------------------------------------------------------

function onStatus(status, detail) {
  S.ws = status;
  if (status === 'open') {
    // Said first, so that the server never rings this page by mistake
    // while the connection comes back.
    if (isAgent()) events.send({type: 'phone.ring_on', where: S.ringOn});
    if (!phone.pc) phone.start();
    else phone.restart();
  }
  if (status === 'ended') {
    leavePhone();
    showLogin(sentence(detail));
    return;
  }
  render();
}

function onMessage(msg) {
  switch (msg.type) {
    case 'snapshot':
      S.agent = (msg.agents || []).find((a) => a.name === S.me.user) || S.agent;
      break;
    case 'agent':
      if (msg.agent && msg.agent.name === S.me.user) S.agent = msg.agent;
      break;
    case 'event':
      onEvent(msg.event || {});
      break;
    case 'rtc.answer':
    case 'rtc.candidate':
      phone.onMessage(msg);
      return;
    case 'call.ringing':
      clearTimeout(callMeTimer);
      S.callMe = {phase: '', text: ''};
      if (S.demo && S.demo.enabled) refreshDemo(); // the banner's counts, now
      S.call = {id: msg.call, caller: msg.caller, queue: msg.queue, kind: msg.kind, agent: msg.agent, phase: 'ringing', since: Date.now()};
      ringer.start();
      text($('announce'), msg.kind === 'assist' || msg.kind === 'listen'
        ? `${msg.kind === 'assist' ? 'Assist' : 'Listen in'}: ${msg.agent}'s call with ${msg.caller || 'an unknown caller'}.`
        : `Incoming call from ${msg.caller || 'an unknown caller'}${msg.queue ? `, queue ${msg.queue}` : ''}.`);
      render();
      focusIfIdle($('answer'));
      return;
    case 'call.connected': {
      ringer.stop();
      const same = S.call && S.call.id === msg.call && S.call.phase === 'connected';
      S.call = {id: msg.call, caller: msg.caller, queue: msg.queue, kind: msg.kind, agent: msg.agent, phase: 'connected', since: same ? S.call.since : Date.now()};
      S.lastCall = S.call;
      phone.setLive(true);
      break;
    }
    case 'call.ended': {
      ringer.stop();
      if (S.call && S.call.id === msg.call) S.call = null;
      S.keypad = false;
      phone.setLive(false);
      S.notices = S.notices.filter((n) => n.key !== 'assist');
      const said = msg.reason in ENDED ? ENDED[msg.reason] : ['info', 'The call ended.'];
      if (said) {
        const takeover = msg.reason === 'taken_over';
        notify(said[0], said[1], takeover ? 'takeover:' + msg.call : '', takeover);
      }
      break;
    }
    case 'phone.ring_on':
      S.ringOnServer = msg.where;
      break;
    case 'session.replaced':
      leavePhone();
      S.view = 'replaced';
      break;
    case 'error':
      if (msg.about === 'rtc.restart') {
        phone.onMessage(msg);
        return;
      }
      if (msg.about === 'phone.ring_on') S.ringOn = S.ringOnServer || 'browser';
      notify('bad', sentence(msg.message || msg.error || 'Something went wrong.'));
      break;
    default:
      return;
  }
  render();
}

function onEvent(e) {
  if (e.agent !== S.me.user) return;
  if (e.kind === 'help.state') {
    if (e.state === 'assisting') {
      S.assistedBy = e.actor || '';
      notify('good', 'Assistance has started' + (e.actor ? `: ${e.actor} is with you on this call.` : '.'), 'assist');
    } else if (e.state === 'none') {
      S.assistedBy = '';
    }
  } else if (e.kind === 'assist.mode') {
    S.assistedBy = e.state === 'ended' ? '' : e.actor || S.assistedBy;
  } else if (e.kind === 'call.handler_ended' && e.reason === 'taken_over') {
    notify('info', ENDED.taken_over[1], 'takeover:' + e.call, true);
  }
}

// ---- Actions -------------------------------------------------------------

async function goAvailable() {
  S.hint = '';
  if (!(await phone.ensureMic())) {
    S.hint = micSentence(phone);
    render();
    return;
  }
  if (phone.status !== 'connected') {
    S.hint = 'Audio is still connecting. Try again in a moment.';
    render();
    return;
  }
  await setState({state: 'available'});
}

async function setState(body) {
  try {
    S.agent = await api('PUT', '/api/v1/me/state', body);
    S.hint = '';
    if (S.callMe.phase === 'error') S.callMe = {phase: '', text: ''}; // a new state: try again
  } catch (e) {
    notify('bad', sentence(e.message));
  }
  render();
}

async function toggleHelp() {
  const help = S.agent && S.agent.help;
  if (!help || help === 'assisting') return;
  const btn = $('help');
  btn.disabled = true;
  try {
    S.agent = await api('POST', '/api/v1/me/help', {action: help === 'none' ? 'request' : 'cancel'});
  } catch (e) {
    notify('bad', sentence(e.message));
  } finally {
    btn.disabled = false;
  }
  render();
  btn.focus();
}

// callMe asks the demo's simulator to call this agent.
async function callMe() {
  if (S.callMe.phase === 'calling') return;
  clearTimeout(callMeTimer);
  S.callMe = {phase: 'calling', text: 'Calling you…'};
  render();
  try {
    const out = await api('POST', '/api/v1/me/call-me');
    if (S.callMe.phase === 'calling' && !S.call) {
      S.callMe = {phase: 'calling', text: `Calling you… a customer is dialling ${out.did} (queue ${out.queue}).`};
    }
    callMeTimer = setTimeout(() => {
      if (S.callMe.phase !== 'calling') return;
      S.callMe = {phase: 'error', text: 'The call has not arrived. Check that you are Available, then try again.'};
      render();
    }, CALL_ME_WAIT);
  } catch (e) {
    S.callMe = {phase: 'error', text: sentence(e.message)};
  }
  render();
}

function setRingOn(where) {
  S.ringOn = where;
  sessionStorage.setItem(RING_KEY, where);
  if (!events || !events.send({type: 'phone.ring_on', where})) notify('bad', 'Not connected to the server. Your choice is sent when the connection comes back.');
  render();
}

async function setListenIn(mode) {
  try {
    S.agent = await api('PUT', '/api/v1/me/listen-in', {mode});
  } catch (e) {
    notify('bad', sentence(e.message));
  }
  render();
}

function callCommand(type) {
  if (!S.call) return;
  if (type === 'call.answer') {
    audioContext().resume().catch(() => {});
    $('remote-audio').play().catch(() => {});
  }
  if (!events.send({type, call: S.call.id})) notify('bad', 'Not connected to the server. Wait for the connection to come back.');
}

async function signOut() {
  if (S.call && S.call.phase === 'connected') {
    notify('warn', 'Hang up before you sign out.');
    render();
    return;
  }
  if (isAgent() && S.agent && S.agent.state !== 'offline') {
    await api('PUT', '/api/v1/me/state', {state: 'offline', reason: 'logout'}).catch(() => {});
  }
  await logout().catch(() => {});
  sessionStorage.removeItem(RING_KEY);
  leavePhone();
  showLogin('');
}

function leavePhone() {
  ringer.stop();
  clearTimeout(callMeTimer);
  S.callMe = {phase: '', text: ''};
  S.demo = null;
  if (events) events.close();
  events = null;
  if (phone) phone.stop();
  S.call = null;
  S.agent = null;
}

// ---- Notices -------------------------------------------------------------

// notify shows a notice; one with a key is not repeated while shown.
// Information fades after a while unless sticky; problems stay until
// dismissed.
function notify(kind, words, key = '', sticky = false) {
  if (key && S.notices.some((n) => n.key === key)) return;
  const n = {id: ++noticeSeq, kind, text: words, key};
  S.notices = [...S.notices.slice(-3), n];
  if (!sticky && (kind === 'info' || kind === 'good')) setTimeout(() => dismiss(n.id), 12000);
  render();
}

function dismiss(id) {
  S.notices = S.notices.filter((n) => n.id !== id);
  render();
}

function focusIfIdle(el) {
  const a = document.activeElement;
  if (!a || a === document.body || a.closest('.call-card')) el.focus();
}

function render() {
  draw({S, phone, isAgent, dismiss});
}

function uiState() {
  return stateOf({S, phone, isAgent});
}

// ---- Wiring --------------------------------------------------------------

function bind() {
  $('login-form').addEventListener('submit', submitLogin);
  $('go-available').addEventListener('click', goAvailable);
  $('ready').addEventListener('click', goAvailable);
  $('not-ready-reason').addEventListener('change', (e) => {
    const reason = e.target.value;
    e.target.value = '';
    if (reason) setState({state: 'not_ready', reason});
  });
  $('answer').addEventListener('click', () => callCommand('call.answer'));
  $('reject').addEventListener('click', () => callCommand('call.reject'));
  $('hangup').addEventListener('click', () => callCommand('call.hangup'));
  $('mute').addEventListener('click', () => {
    phone.setMuted(!phone.muted);
    render();
  });
  $('keypad-toggle').addEventListener('click', () => {
    S.keypad = !S.keypad;
    render();
  });
  for (const key of '123456789*0#') {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'btn';
    b.textContent = key;
    b.setAttribute('aria-label', `Key ${key}`);
    b.addEventListener('click', () => events && events.send({type: 'phone.dtmf', digit: key}));
    $('keypad').append(b);
  }
  $('help').addEventListener('click', toggleHelp);
  $('call-me').addEventListener('click', callMe);
  document.addEventListener('earshot:demo', (e) => {
    S.demo = e.detail;
    if (S.view === 'phone') render();
  });
  for (const r of document.querySelectorAll('input[name="listen"]')) {
    r.addEventListener('change', () => r.checked && setListenIn(r.value));
  }
  for (const r of document.querySelectorAll('input[name="ring-on"]')) {
    r.addEventListener('change', () => r.checked && setRingOn(r.value));
  }
  $('mic-retry').addEventListener('click', async () => {
    S.hint = '';
    await phone.ensureMic();
    render();
  });
  $('cleanup').addEventListener('change', async (e) => {
    localStorage.setItem(CLEANUP_KEY, e.target.checked ? 'on' : 'off');
    await phone.setCleanup(e.target.checked);
    render();
  });
  $('signout').addEventListener('click', signOut);
  $('take-back').addEventListener('click', () => location.reload());
  // A page opened without a click may not make sound until one happens.
  document.addEventListener('pointerdown', () => audioCtx && audioCtx.resume().catch(() => {}), {passive: true});
  setInterval(() => S.view === 'phone' && render(), 1000);
}

// For tests: what the page hears, and what it shows.
window.earshotTest = {
  remoteLevel: (freqHz) => (phone ? phone.remoteLevel(freqHz) : -Infinity),
  speechLevel: () => (phone ? phone.speechLevel() : -200),
  state: uiState,
  audio: () => (phone ? phone.status : 'off'),
  ringOn: () => S.ringOnServer,
  dropConnection: () => events && events.drop(),
};

boot();
