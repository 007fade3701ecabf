// Signing in, the same on every page: the sign-in card, the card shown to
// someone whose roles do not open the page, and the boot path (check the
// session, show the sign-in or the page, sign in, sign out).
//
// A page calls signIn(options) once and start() when its own controls are
// bound. The cards are drawn under the top bar with the IDs the page and
// its tests use: #login-view, #login-form, #login-user, #login-password,
// #login-error, #login-submit, and #denied-view, #denied-title,
// #denied-text, #denied-signout.

import {asUser, forgetTabUser, login, logout, me, signedOutHere, tabUser} from '/shared/api.js';
import {el} from '/shared/dom.js';
import {sentence} from '/shared/words.js';

const $ = (id) => document.getElementById(id);

/**
 * signIn draws the cards and returns the page's gate:
 *   start()            checks the session and shows the page or the sign-in
 *   show(view)         shows one view: 'login', 'denied' or one of the page's
 *   showLogin(message) shows the sign-in, with a sentence when given
 *   signOut()          signs out (the top bar's and the denied card's button)
 *   user()             who is signed in (GET /api/v1/me), or null
 *
 * Options:
 *   page      the page's name in the window title ('Admin': "Admin · earshot",
 *             and "Sign in · Admin · earshot" until signed in)
 *   title, intro       the sign-in card's heading and line under it
 *   views     the page's own views, each an element #<view>-view; the first
 *             is the page itself (its title has no "Sign in")
 *   who       the views that show the top bar's #who (default: views)
 *   roles     roles that may use the page (any one); others see the denied
 *             card. Omitted: everyone signed in.
 *   denied    {title, text, links: [[href, words], …]} for the denied card
 *   enter(user)        async: signed in and allowed; open the page
 *   signedIn()         after a successful login, before enter; false stops
 *   show(view)         replaces the drawing of views (the page draws them)
 *   onShow(view)       after the views are drawn
 *   beforeSignOut()    async; false keeps the user signed in
 *   afterSignOut()     after signing out (default: show the sign-in)
 */
export function signIn(opts) {
  const views = opts.views || [];
  const whoOn = opts.who || views;
  let user = null; // GET /api/v1/me while signed in

  drawCards(opts);

  function show(view) {
    if (opts.show) {
      opts.show(view);
      return;
    }
    for (const v of ['login', 'denied', ...views]) {
      const e = $(`${v}-view`);
      if (e) e.hidden = view !== v;
    }
    const who = $('who');
    if (who) who.hidden = !whoOn.includes(view);
    if (user && $('who-name')) $('who-name').textContent = user.display || user.user;
    document.title = view === views[0] ? `${opts.page} · earshot` : `Sign in · ${opts.page} · earshot`;
    if (opts.onShow) opts.onShow(view);
  }

  function showLogin(message) {
    show('login');
    const e = $('login-error');
    e.hidden = !message;
    if (e.textContent !== (message || '')) e.textContent = message || '';
    $('login-user').focus();
  }

  function allowed() {
    if (!opts.roles) return true;
    const r = (user && user.roles) || [];
    return opts.roles.some((role) => r.includes(role));
  }

  async function enter() {
    if (!allowed()) {
      show('denied');
      return;
    }
    await opts.enter(user);
  }

  async function start() {
    if (signedOutHere()) {
      showLogin('');
      return;
    }
    try {
      const chosen = tabUser() !== '';
      user = await me();
      if (!chosen && !allowed()) {
        // This tab found another tab's sign-in (the browser's latest),
        // of someone this page is not for: sign in here, leaving theirs.
        const name = user.display || user.user;
        switchUser(`${name} is signed in in another tab and cannot use this page. Sign in here as someone who can; ${name} stays signed in there.`);
        return;
      }
      await enter();
    } catch (err) {
      showLogin(err.status === 401 ? '' : sentence(err.message));
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    const name = $('login-user').value.trim();
    const password = $('login-password').value;
    const err = $('login-error');
    $('login-user').setAttribute('aria-invalid', String(!name));
    $('login-password').setAttribute('aria-invalid', String(!password));
    if (!name || !password) {
      err.hidden = false;
      err.textContent = !name ? 'Enter your user name.' : 'Enter your password.';
      (!name ? $('login-user') : $('login-password')).focus();
      return;
    }
    const btn = $('login-submit');
    btn.disabled = true;
    btn.textContent = 'Signing in…';
    try {
      await login(name, password);
      if (opts.signedIn && opts.signedIn() === false) return;
      user = await me();
      $('login-password').value = '';
      err.hidden = true;
      await enter();
    } catch (e) {
      err.hidden = false;
      err.textContent = sentence(e.message);
      $('login-password').select();
    } finally {
      btn.disabled = false;
      btn.textContent = 'Sign in';
    }
  }

  // switchUser shows the sign-in without signing anybody out.
  function switchUser(message) {
    forgetTabUser();
    user = null;
    showLogin(message);
  }

  async function signOut() {
    if (opts.beforeSignOut && (await opts.beforeSignOut()) === false) return;
    await logout().catch(() => {});
    user = null;
    if (opts.afterSignOut) opts.afterSignOut();
    else showLogin('');
  }

  $('login-form').addEventListener('submit', submit);
  $('signout')?.addEventListener('click', signOut);
  $('denied-signout')?.addEventListener('click', signOut);
  $('denied-switch')?.addEventListener('click', () => switchUser(''));

  return {start, show, showLogin, signOut, user: () => user};
}

// drawCards puts the sign-in card, and the denied card when the page is for
// some roles only, right under the top bar.
function drawCards(opts) {
  const cards = [loginCard(opts)];
  if (opts.roles) cards.push(deniedCard(opts.denied || {}));
  const bar = document.querySelector('.topbar');
  if (bar) bar.after(...cards);
  else document.body.prepend(...cards);
}

function loginCard({title, intro}) {
  const view = el('main', 'center-view');
  view.id = 'login-view';
  view.hidden = true;
  const form = el('form', 'card narrow-card');
  form.id = 'login-form';
  form.noValidate = true;

  const head = el('div', 'card-section');
  head.append(el('h1', '', title || 'Sign in'));
  if (intro) head.append(el('p', 'muted', intro));

  const fields = el('div', 'card-section form-fields');
  const user = field('login-user', 'User name', {name: 'user', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false'});
  const password = field('login-password', 'Password', {name: 'password', type: 'password', autocomplete: 'current-password'});
  const error = el('p', 'notice notice-bad');
  error.id = 'login-error';
  error.setAttribute('role', 'alert');
  error.hidden = true;
  const submit = el('button', 'btn btn-primary btn-lg', 'Sign in');
  submit.id = 'login-submit';
  submit.type = 'submit';
  fields.append(user, password, error, submit);

  form.append(head, fields);
  view.append(form);
  return view;
}

function field(id, label, attrs) {
  const box = el('div', 'field');
  const l = el('label', '', label);
  l.htmlFor = id;
  const input = el('input');
  input.id = id;
  for (const [k, v] of Object.entries(attrs)) input.setAttribute(k, v);
  input.required = true;
  box.append(l, input);
  return box;
}

function deniedCard({title, text, links = []}) {
  const view = el('main', 'center-view');
  view.id = 'denied-view';
  view.hidden = true;
  const card = el('section', 'card narrow-card');
  card.setAttribute('aria-labelledby', 'denied-title');

  const head = el('div', 'card-section');
  const h = el('h1', '', title || 'This page is not for your account');
  h.id = 'denied-title';
  const p = el('p', 'muted', text || '');
  p.id = 'denied-text';
  head.append(h, p);

  const actions = el('div', 'card-section row-actions');
  links.forEach(([href, words], i) => {
    const a = el('a', i === 0 ? 'btn btn-primary' : 'btn', words);
    a.href = asUser(href);
    actions.append(a);
  });
  const other = el('button', 'btn', 'Sign in as someone else');
  other.id = 'denied-switch';
  other.type = 'button';
  const out = el('button', 'btn btn-quiet', 'Sign out');
  out.id = 'denied-signout';
  out.type = 'button';
  actions.append(other, out);

  card.append(head, actions);
  view.append(card);
  return view;
}
