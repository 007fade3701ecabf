// earshot's API client for the pages: login, JSON calls with the CSRF
// header, and the one WebSocket with reconnect and backoff. /phone uses it
// today; /monitor and /admin share it.

/** An API answer other than 2xx, with the server's sentence. */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let csrf = '';

// One browser may hold several people's sessions (an agent's tab and a
// supervisor's): each tab remembers whose it is and names that user on
// every request, so signing in as someone else in another tab leaves this
// one as it was. A link may name the user (?as=sam) for a tab it opens.
const whoKey = 'earshot.user';
const outKey = 'earshot.signed-out';
let who = sessionStorage.getItem(whoKey) || '';
{
  // A link's ?as= names the user of a tab that has none yet; the address
  // bar drops it, so a reload or a bookmark does not carry it.
  const u = new URL(location.href);
  const as = u.searchParams.get('as');
  if (as !== null) {
    if (!who && as) pin(as);
    u.searchParams.delete('as');
    history.replaceState(history.state, '', u.pathname + u.search + u.hash);
  }
}

function pin(user) {
  who = user || '';
  if (who) sessionStorage.setItem(whoKey, who);
  else sessionStorage.removeItem(whoKey);
}

/**
 * Whether this tab was signed out: it then shows the sign-in rather than
 * taking up another tab's session, until someone signs in here again.
 */
export function signedOutHere() {
  return sessionStorage.getItem(outKey) === '1';
}

/** The user this tab is signed in as ('' before sign-in). */
export function tabUser() {
  return who;
}

/**
 * Lets this tab sign in as someone else without signing anybody out: the
 * next requests name nobody until the next sign-in.
 */
export function forgetTabUser() {
  csrf = '';
  pin('');
}

/**
 * url with this tab's user named in it, for what cannot carry a header:
 * media links, downloads and links that open another tab.
 */
export function asUser(url) {
  if (!who) return url;
  const u = new URL(url, location.href);
  u.searchParams.set('as', who);
  return u.origin === location.origin ? u.pathname + u.search + u.hash : u.href;
}

/**
 * Calls the API: method, path under the site, optional JSON body. Resolves
 * to the decoded JSON answer (null for 204); rejects with ApiError carrying
 * the server's sentence, or a sentence of its own when the server cannot be
 * reached.
 */
export async function api(method, path, body) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (csrf && method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (who) headers['X-Earshot-User'] = who;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your network connection.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // not JSON: say so below
  }
  if (!res.ok) {
    const msg = data && data.error ? data.error : `The server answered ${res.status}.`;
    throw new ApiError(res.status, msg);
  }
  return data;
}

/** Logs in; resolves to the login answer (user, display, roles). */
export async function login(user, password) {
  const out = await api('POST', '/api/v1/login', {user, password});
  csrf = out.csrf;
  pin(out.user);
  sessionStorage.removeItem(outKey);
  return out;
}

/** Who is logged in (401 ApiError when nobody is). */
export async function me() {
  if (!who && signedOutHere()) {
    // signed out here: never take up another tab's session
    throw new ApiError(401, 'You signed out in this tab. Sign in again.');
  }
  const out = await api('GET', '/api/v1/me');
  csrf = out.csrf;
  pin(out.user);
  return out;
}

/** Ends the session. */
export async function logout() {
  try {
    await api('POST', '/api/v1/logout');
  } finally {
    csrf = '';
    pin('');
    sessionStorage.setItem(outKey, '1');
  }
}

/**
 * Opens the page's WebSocket and keeps it open: after a drop it reconnects
 * with exponential backoff (0.5 s doubling up to 15 s, with jitter). A
 * close by the server for policy (logged out, session expired) is final.
 *
 * onMessage(msg) gets every decoded message; onStatus(status, reason) gets
 * 'connecting', 'open', 'retrying' (with the delay in ms) or 'ended' (with
 * the server's reason). Returns {send(obj) → bool, close(), drop()};
 * drop() closes the socket as a network failure would (for tests).
 */
export function connectEvents({onMessage, onStatus = () => {}}) {
  let ws = null;
  let stopped = false;
  let attempt = 0;
  let timer = 0;

  function open() {
    if (stopped) return;
    onStatus('connecting');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${scheme}//${location.host}${asUser('/api/v1/events')}`);
    ws.onopen = () => {
      attempt = 0;
      onStatus('open');
    };
    ws.onmessage = (e) => {
      let msg;
      try {
        msg = JSON.parse(e.data);
      } catch {
        return;
      }
      onMessage(msg);
    };
    ws.onclose = (e) => {
      ws = null;
      if (stopped) return;
      // The server closes with 1000 on logout and 1008 when the session
      // expired or the account was removed: reconnecting cannot help.
      if (e.code === 1000 || e.code === 1008) {
        end(e.reason || 'Your session ended.');
        return;
      }
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.75 + Math.random() / 2);
      attempt++;
      onStatus('retrying', Math.round(delay));
      timer = setTimeout(reopen, delay);
    };
  }

  function end(reason) {
    stopped = true;
    onStatus('ended', reason);
  }

  // reopen checks the session first: a WebSocket refused for a lost
  // session looks like any other drop.
  async function reopen() {
    if (stopped) return;
    try {
      const res = await fetch(asUser('/api/v1/me'), {credentials: 'same-origin'});
      if (res.status === 401) {
        end('Your session ended. Sign in again.');
        return;
      }
    } catch {
      // offline: try the WebSocket anyway, and back off again
    }
    open();
  }

  open();
  return {
    send(obj) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify(obj));
      return true;
    },
    close() {
      stopped = true;
      clearTimeout(timer);
      if (ws) ws.close(1000, 'page closed');
    },
    drop() {
      if (ws) ws.close(4000, 'dropped');
    },
  };
}

/** Formats a duration in ms as m:ss, or h:mm:ss from an hour. */
export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Sets an element's text, creating nothing: the pages never inject HTML. */
export function text(el, s) {
  if (el.textContent !== s) el.textContent = s;
}
