// The audit: every settings change, who made it and when, newest first.

import {api} from '/shared/api.js';
import {h, sentence} from './dom.js';

const $ = (id) => document.getElementById(id);

const when = new Intl.DateTimeFormat(undefined, {dateStyle: 'medium', timeStyle: 'medium'});

let loading = null;

/** Loads the audit into its table. */
export function loadAudit() {
  if (loading) return loading;
  loading = (async () => {
    try {
      const out = await api('GET', '/api/v1/audit?limit=200');
      const entries = out.entries || [];
      $('audit-rows').replaceChildren(...entries.map((e) => h('tr', {dataset: {seq: String(e.seq)}},
        h('td', {class: 'num nowrap'}, h('time', {datetime: e.at}, when.format(new Date(e.at)))),
        h('td', {class: 'strong'}, e.actor || 'system'),
        h('td', {}, h('ul', {class: 'changes'}, (e.changes.length ? e.changes : ['(no detail)']).map((c) => h('li', {}, c)))))));
      $('audit-empty').hidden = entries.length > 0;
      $('audit-empty').textContent = 'No changes yet.';
    } catch (err) {
      $('audit-rows').replaceChildren();
      $('audit-empty').hidden = false;
      $('audit-empty').textContent = sentence(err.message);
    } finally {
      loading = null;
    }
  })();
  return loading;
}
