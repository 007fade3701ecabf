// The /phone page: sign in, agent state, calls, help and Let Listen In.
// State arrives on the WebSocket and from API answers, lands in S, and
// render() draws S into the page; controls only send requests.

import {api, connectEvents, text} from '/shared/api.js';
import {signIn} from '/shared/signin.js';
import {Softphone} from './softphone.js';
import {Ringer} from './ringer.js';
import {ListenIn} from './listen.js';
import {render as draw, uiState as stateOf, sentence, micSentence} from './view.js';
import {reopenedWords} from '/shared/words.js';
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
  assistedBy: '', // the user name of the supervisor assisting this agent
  helpWhy: '', // why the help request is open again, when an assist fell through
  names: new Map(), // display names by user name, from the agent's row
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
const listenIn = new ListenIn({onChange: () => render(), answer: answerNow});

function audioContext() {
  if (!audioCtx) audioCtx = new AudioContext();
  return audioCtx;
}

// ---- Start ---------------------------------------------------------------

// gate signs people in; the page draws its views itself (view.js).
const gate = signIn({
  page: 'Phone',
  title: 'Sign in',
  intro: 'Sign in to take calls from your queues.',
  enter: (user) => {
    S.me = user;
    enterPhone();
  },
  show(view) {
    S.view = view;
    render();
  },
  signedIn() {
    sessionStorage.removeItem(RING_KEY); // a new sign-in rings here again
    audioContext().resume().catch(() => {}); // the click lets the page make sound
    return true;
  },
  beforeSignOut,
  afterSignOut() {
    sessionStorage.removeItem(RING_KEY);
    leavePhone();
    gate.showLogin('');
  },
});

function boot() {
  bind();
  gate.start();
}

function isAgent() {
  return S.me && S.me.roles.includes('agent');
}

function enterPhone() {
  S.view = 'phone';
  setAgent(S.me.agent || null);
  S.notices = [];
  S.ringOn = sessionStorage.getItem(RING_KEY) === 'phone' ? 'phone' : 'browser';
  S.ringOnServer = '';
  fillReasons(S.me.not_ready_reasons || []);
  phone = new Softphone({send: (m) => (events ? events.send(m) : false), audio: $('remote-audio'), context: audioContext, onChange: render, iceServers: S.me.ice_servers || []});
  phone.cleanup = localStorage.getItem(CLEANUP_KEY) !== 'off';
  $('cleanup').checked = phone.cleanup;
  events = connectEvents({onMessage, onStatus});
  listenIn.start(S.me);
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
    gate.showLogin(sentence(detail));
    return;
  }
  render();
}

function onMessage(msg) {
  switch (msg.type) {
    case 'snapshot':
      setAgent((msg.agents || []).find((a) => a.name === S.me.user) || S.agent);
      listenIn.onHint(); // hints sent while the stream was down are lost
      break;
    case 'agent':
      if (msg.agent && msg.agent.name === S.me.user) setAgent(msg.agent);
      break;
    case 'event':
      onEvent(msg.event || {});
      break;
    case 'listenable':
      listenIn.onHint();
      return;
    case 'rtc.answer':
    case 'rtc.candidate':
      phone.onMessage(msg);
      return;
    case 'call.ringing':
      clearTimeout(callMeTimer);
      S.callMe = {phase: '', text: ''};
      if (S.demo && S.demo.enabled) refreshDemo(); // the banner's counts, now
      S.call = {id: msg.call, caller: msg.caller, queue: msg.queue, kind: msg.kind, agent: msg.agent_display || msg.agent, phase: 'ringing', since: Date.now()};
      if (listenIn.onRinging(msg)) {
        // A listen-in this page asked for: answered already, no ringing.
        render();
        return;
      }
      ringer.start();
      text($('announce'), msg.kind === 'assist' || msg.kind === 'listen'
        ? msg.kind === 'listen' && !msg.caller
          ? `Listen in: ${S.call.agent}'s call.`
          : `${msg.kind === 'assist' ? 'Assist' : 'Listen in'}: ${S.call.agent}'s call with ${msg.caller || 'an unknown caller'}.`
        : `Incoming call from ${msg.caller || 'an unknown caller'}${msg.queue ? `, queue ${msg.queue}` : ''}.`);
      render();
      focusIfIdle($('answer'));
      return;
    case 'call.connected': {
      ringer.stop();
      const same = S.call && S.call.id === msg.call && S.call.phase === 'connected';
      S.call = {id: msg.call, caller: msg.caller, queue: msg.queue, kind: msg.kind, agent: msg.agent_display || msg.agent, phase: 'connected', since: same ? S.call.since : Date.now()};
      S.lastCall = S.call;
      phone.setLive(true);
      break;
    }
    case 'call.ended': {
      ringer.stop();
      // A listen-in's end is said on the Listen in card.
      const listening = S.call && S.call.id === msg.call && S.call.kind === 'listen';
      if (S.call && S.call.id === msg.call) S.call = null;
      S.keypad = false;
      phone.setLive(false);
      S.notices = S.notices.filter((n) => n.key !== 'assist');
      const said = listening ? null : msg.reason in ENDED ? ENDED[msg.reason] : ['info', 'The call ended.'];
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
  if (listenIn.onEvent(e)) return;
  if (e.agent !== S.me.user) return;
  if (e.kind === 'help.state') {
    // An assist that fell through puts the request back, saying why.
    S.helpWhy = e.state === 'requested' && e.actor && e.reason ? reopenedWords(nameOf(e.actor), e.reason) : '';
    if (S.helpWhy) S.notices = S.notices.filter((n) => n.key !== 'assist'); // it never started
    if (e.state === 'assisting') {
      S.assistedBy = e.actor || '';
      notify('good', assistWords(), 'assist');
    } else if (e.state === 'none') {
      S.assistedBy = '';
    }
  } else if (e.kind === 'assist.mode') {
    S.assistedBy = e.state === 'ended' ? '' : e.actor || S.assistedBy;
  } else if (e.kind === 'call.handler_ended' && e.reason === 'taken_over') {
    notify('info', ENDED.taken_over[1], 'takeover:' + e.call, true);
  }
}

// ---- The agent's row and names --------------------------------------------

// setAgent takes the agent's row, from the WebSocket or an API answer, and
// keeps the display names of whoever assists or listens: supervisors have
// no row of their own to take them from.
function setAgent(row) {
  S.agent = row;
  const names = row && row.assist && row.assist.names;
  if (!names) return;
  for (const [user, display] of Object.entries(names)) if (display) S.names.set(user, display);
  // The row with the name follows the event that said assistance started.
  const n = S.notices.find((x) => x.key === 'assist');
  if (n && S.assistedBy) n.text = assistWords();
}

// nameOf is a person's display name when the page has it.
function nameOf(user) {
  return S.names.get(user) || user;
}

function assistWords() {
  return 'Assistance has started' + (S.assistedBy ? `: ${nameOf(S.assistedBy)} is with you on this call.` : '.');
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
    setAgent(await api('PUT', '/api/v1/me/state', body));
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
    setAgent(await api('POST', '/api/v1/me/help', {action: help === 'none' ? 'request' : 'cancel'}));
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
    setAgent(await api('PUT', '/api/v1/me/listen-in', {mode}));
  } catch (e) {
    notify('bad', sentence(e.message));
  }
  render();
}

// answerNow answers a ring this page expects (a listen-in it asked for).
function answerNow(callId) {
  audioContext().resume().catch(() => {});
  $('remote-audio').play().catch(() => {});
  if (!events || !events.send({type: 'call.answer', call: callId})) notify('bad', 'Not connected to the server. Wait for the connection to come back.');
}

function callCommand(type) {
  if (!S.call) return;
  if (type === 'call.answer') {
    audioContext().resume().catch(() => {});
    $('remote-audio').play().catch(() => {});
  }
  if (!events.send({type, call: S.call.id})) notify('bad', 'Not connected to the server. Wait for the connection to come back.');
}

// beforeSignOut keeps a connected call, and signs the agent out of their
// queues first.
async function beforeSignOut() {
  if (S.call && S.call.phase === 'connected') {
    notify('warn', 'Hang up before you sign out.');
    render();
    return false;
  }
  if (isAgent() && S.agent && S.agent.state !== 'offline') {
    await api('PUT', '/api/v1/me/state', {state: 'offline', reason: 'logout'}).catch(() => {});
  }
  return true;
}

function leavePhone() {
  ringer.stop();
  listenIn.stop();
  clearTimeout(callMeTimer);
  S.callMe = {phase: '', text: ''};
  S.demo = null;
  if (events) events.close();
  events = null;
  if (phone) phone.stop();
  S.call = null;
  S.agent = null;
  S.helpWhy = '';
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
  if (S.view !== 'phone') return;
  const own = S.call && S.call.kind !== 'listen';
  const busy = S.agent && (S.agent.state === 'on_call' || S.agent.state === 'ringing');
  listenIn.render({audioUp: !!phone && phone.status === 'connected', onCall: !!(own || busy)});
}

function uiState() {
  return stateOf({S, phone, isAgent});
}

// ---- Wiring --------------------------------------------------------------

function bind() {
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
  listenable: () => [...document.querySelectorAll('#colleagues-list .mate')].map((li) => li.dataset.agent),
};

boot();
