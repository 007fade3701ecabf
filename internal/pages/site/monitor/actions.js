// What a supervisor does to an agent from the row menu or a help pop-up:
// assist (or return a green help icon to blue), clear help, listen in,
// and change the agent's state with a reason that is stored with it. The
// server's answer is drawn at once; the WebSocket brings the rest.

import {api} from '/shared/api.js';
import {sentence} from './words.js';

const $ = (id) => document.getElementById(id);

/** NO_WEB_CLIENT matches the server's answer when the web client is chosen but not signed in. */
export const NO_WEB_CLIENT = /web client is not signed in/i;

export class AgentActions {
  /**
   * table, panel and toasts are the page's parts; me is GET /api/v1/me;
   * notify(kind, words, action) shows a notice; chooseAudio() opens the
   * choice of where assist audio goes.
   */
  constructor({table, panel, toasts, me, notify, chooseAudio}) {
    this.table = table;
    this.panel = panel;
    this.toasts = toasts;
    this.me = me;
    this.notify = notify;
    this.chooseAudio = chooseAudio;
    $('state-form').addEventListener('submit', (ev) => this.confirmState(ev));
    $('state-cancel').addEventListener('click', () => $('state-dialog').close());
  }

  /** Whether Assist may be chosen on row a, and if not why (a sentence). */
  assistable(a) {
    const mine = this.panel.onAgent(a.name);
    if (mine && mine.kind !== 'listen') return {allowed: false, why: `You are already assisting ${a.display || a.name}.`};
    const av = a.assist;
    if (!av) return {allowed: false, why: 'Assist is not available on this server.'};
    return {allowed: !!av.allowed, why: av.allowed ? '' : sentence(av.why)};
  }

  items(a) {
    const display = a.display || a.name;
    const can = this.assistable(a);
    const av = a.assist || {by: []};
    const clearing = a.help === 'assisting' && can.allowed && (!av.by || av.by.length === 0);
    const items = [{
      id: 'assist',
      label: clearing ? 'Assist (clear help)' : 'Assist',
      hint: clearing ? 'Returns the help icon to blue.' : can.why,
      disabled: !can.allowed,
      tone: 'primary',
      run: () => this.assist(a.name),
    }, {
      id: 'clear-help',
      label: 'Clear help',
      hint: a.help === 'none' ? 'No help request to clear.' : a.help === 'requested' ? 'Closes the request without assisting.' : 'Returns the help icon to blue.',
      disabled: a.help === 'none' || !a.help,
      run: () => this.clearHelp(a.name),
    }];
    if (this.me.listen_in) {
      const why = a.state !== 'on_call' ? `${display} is not on a call.` : a.listen_in === 'off' ? `${display} does not let colleagues listen in.` : '';
      items.push({id: 'listen', label: 'Listen in', hint: why || 'Listen only: nobody hears you.', disabled: !!why, run: () => this.listenIn(a.name)});
    }
    items.push({separator: true});
    const busy = a.state === 'on_call';
    items.push({
      id: 'not-ready',
      label: 'Make Not Ready…',
      hint: busy ? 'Not during a call.' : a.state === 'offline' ? `${display} is logged out.` : '',
      disabled: busy || a.state === 'offline',
      run: () => this.stateDialog(a.name, 'not_ready'),
    }, {
      id: 'end-acw',
      label: 'End After Call Work',
      hint: a.state === 'acw' ? `${display} becomes Available.` : `${display} is not in After Call Work.`,
      disabled: a.state !== 'acw',
      run: () => this.stateDialog(a.name, 'available'),
    }, {
      id: 'logout',
      label: 'Log out…',
      hint: busy ? 'Not during a call.' : a.state === 'offline' ? `${display} is already logged out.` : '',
      disabled: busy || a.state === 'offline',
      tone: 'danger',
      run: () => this.stateDialog(a.name, 'offline'),
    });
    return items;
  }

  async assist(name) {
    const a = this.table.row(name);
    const display = a ? a.display || a.name : name;
    try {
      const out = await api('POST', `/api/v1/agents/${encodeURIComponent(name)}/assist`);
      if (out.agent) {
        this.table.upsert(out.agent);
        this.toasts.update(out.agent);
      }
      if (out.cleared) {
        this.notify('good', `${display}'s help icon is back to blue.`);
        return;
      }
      if (out.session) this.panel.started(out.session);
    } catch (e) {
      this.assistRefused(e);
    }
  }

  // assistRefused says why an assist did not start, with the way out when
  // it is the audio.
  assistRefused(e) {
    const words = sentence(e.message);
    if (NO_WEB_CLIENT.test(e.message)) {
      this.notify('bad', words, {label: 'Open the web phone', href: '/phone'});
    } else if (/where assist audio reaches you/i.test(e.message)) {
      this.notify('warn', words, {label: 'Choose assist audio', run: this.chooseAudio});
    } else {
      this.notify('bad', words);
    }
  }

  async clearHelp(name) {
    try {
      const row = await api('POST', `/api/v1/agents/${encodeURIComponent(name)}/help`, {action: 'clear'});
      this.table.upsert(row);
      this.toasts.update(row);
    } catch (e) {
      this.notify('bad', sentence(e.message));
    }
  }

  async listenIn(name) {
    try {
      const out = await api('POST', `/api/v1/agents/${encodeURIComponent(name)}/listen`);
      if (out.session) this.panel.started(out.session);
    } catch (e) {
      this.assistRefused(e);
    }
  }

  // stateDialog asks for the reason of a supervisor's state change, which is
  // stored with the change.
  stateDialog(name, state) {
    const a = this.table.row(name);
    if (!a) return;
    const display = a.display || a.name;
    const d = $('state-dialog');
    const reasons = this.me.not_ready_reasons || [];
    const words = {
      not_ready: [`Make ${display} Not Ready`, `${display} stops getting calls until they choose Available. They see the reason you give.`, 'Make Not Ready'],
      available: [`End ${display}'s After Call Work`, `${display} becomes Available and can get the next call at once.`, 'End After Call Work'],
      offline: [`Log ${display} out`, `${display} is logged out and gets no more calls until they sign in again.`, 'Log out'],
    }[state];
    $('state-dialog-title').textContent = words[0];
    $('state-dialog-text').textContent = words[1];
    $('state-confirm').textContent = words[2];
    $('state-confirm').className = 'btn ' + (state === 'offline' ? 'btn-danger' : 'btn-primary');
    const pick = $('reason-pick');
    const pickField = $('reason-pick-field');
    pickField.hidden = state !== 'not_ready' || reasons.length === 0;
    pick.replaceChildren(...reasons.map((r) => new Option(r, r)), new Option('Other (type it below)…', ''));
    const textField = $('reason-text-field');
    const input = $('reason-text');
    input.value = '';
    const syncText = () => {
      const other = state !== 'not_ready' || reasons.length === 0 || pick.value === '';
      textField.hidden = !other;
      $('reason-text-label').textContent = state !== 'not_ready' ? 'Reason (stored with the change)' : pickField.hidden ? 'Reason' : 'Other reason';
      input.placeholder = state === 'offline' ? 'e.g. End of shift' : state === 'available' ? 'e.g. Wrap-up stuck' : 'e.g. Coaching session';
    };
    pick.onchange = syncText;
    syncText();
    $('state-error').hidden = true;
    d.dataset.agent = name;
    d.dataset.state = state;
    d.showModal();
    (pickField.hidden ? input : pick).focus();
  }

  async confirmState(ev) {
    ev.preventDefault();
    const d = $('state-dialog');
    const name = d.dataset.agent;
    const state = d.dataset.state;
    const picked = !$('reason-pick-field').hidden && $('reason-pick').value;
    const typed = $('reason-text').value.trim();
    const reason = picked || typed || (state === 'available' ? 'After Call Work ended by a supervisor' : state === 'offline' ? 'Logged out by a supervisor' : '');
    if (!reason) {
      $('state-error').hidden = false;
      $('state-error').textContent = 'Give a reason: the agent sees it, and it is stored with the change.';
      $('reason-text').focus();
      return;
    }
    const btn = $('state-confirm');
    btn.disabled = true;
    try {
      const row = await api('PUT', `/api/v1/agents/${encodeURIComponent(name)}/state`, {state, reason});
      this.table.upsert(row);
      d.close();
      const back = this.table.menuButton(name);
      if (back) back.focus({preventScroll: true});
    } catch (e) {
      $('state-error').hidden = false;
      $('state-error').textContent = sentence(e.message);
    } finally {
      btn.disabled = false;
    }
  }
}
