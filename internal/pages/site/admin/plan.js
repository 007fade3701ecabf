// The dial plan: allow and deny patterns, and a tester that tries a
// number against the patterns as typed, before they are saved.

import {api} from '/shared/api.js';
import {sentence} from './dom.js';

const $ = (id) => document.getElementById(id);

const lines = (el) => el.value.split('\n').map((s) => s.trim()).filter(Boolean);

/** Draws the saved patterns. */
export function renderPlan(ctx) {
  const plan = ctx.cfg().dial_plan || {};
  $('plan-allow').value = (plan.allow || []).join('\n');
  $('plan-deny').value = (plan.deny || []).join('\n');
}

async function runTest() {
  const target = $('test-target').value.trim();
  const box = $('test-result');
  box.hidden = false;
  if (!target) {
    box.dataset.verdict = 'error';
    $('test-word').textContent = 'Enter a number';
    $('test-reason').textContent = 'Type a number or SIP address to test, such as +44 20 7946 0000.';
    return;
  }
  try {
    const out = await api('POST', '/api/v1/dialplan/check', {target, allow: lines($('plan-allow')), deny: lines($('plan-deny'))});
    box.dataset.verdict = out.allowed ? 'allowed' : 'refused';
    $('test-word').textContent = out.allowed ? 'Allowed' : 'Not allowed';
    $('test-reason').textContent = sentence(out.reason);
  } catch (err) {
    box.dataset.verdict = 'error';
    $('test-word').textContent = 'Cannot test';
    $('test-reason').textContent = sentence(err.message);
  }
}

/** Wires the dial plan form and the tester. */
export function bindPlan(ctx) {
  $('dialplan-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    ctx.save('PUT', '/api/v1/dialplan', {allow: lines($('plan-allow')), deny: lines($('plan-deny'))}, $('dialplan-form'));
  });
  $('dialplan-revert').addEventListener('click', () => renderPlan(ctx));
  $('tester-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    runTest();
  });
}
