// Small DOM helpers for the admin page: build elements, show a server's
// sentence next to the field it is about.

import {sentence} from '/shared/words.js';

/** h builds an element: h('td', {class: 'x', onclick: fn}, child, 'text'). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Makes a server's phrase a sentence: capital first, full stop last. */
export {sentence};

// The configuration's field names as the page labels them.
const WORDS = [
  ['wrap_up', 'wrap-up'], ['ring_timeout', 'ring timeout'], ['max_wait', 'max wait'],
  ['on_max_wait', 'at max wait'], ['overflow_to', 'overflow queue'], ['not_ready_reasons', 'Not Ready reasons'],
  ['dial_plan ', 'dial plan '], ['caller_id', 'caller ID'], ['from_domain', 'from domain'],
  ['register_expires', 'registration lifetime'],
];

/** Turns a validation message into words a reader of the page knows. */
export function humanize(msg) {
  let s = String(msg || '').replace(/^invalid configuration: /, '');
  for (const [from, to] of WORDS) s = s.split(from).join(to);
  return s.split('\n').map(sentence).join(' ');
}

/**
 * Shows err (the server's sentence) in form: under the field it names
 * when there is one (a name attribute the message mentions), else in the
 * form's .form-error. Returns the element that shows it.
 */
export function showError(form, err) {
  clearErrors(form);
  const raw = String((err && err.message) || err || '');
  const msg = humanize(raw);
  let field = null;
  for (const el of form.querySelectorAll('[name]')) {
    const n = el.getAttribute('name');
    if (n && n.includes('_') && raw.includes(n)) {
      field = el;
      break;
    }
  }
  let box;
  if (field) {
    field.setAttribute('aria-invalid', 'true');
    box = h('p', {class: 'field-error', role: 'alert', id: `${field.id || field.name}-error`}, msg);
    field.setAttribute('aria-describedby', box.id);
    field.closest('.field').append(box);
  } else {
    box = form.querySelector('.form-error');
    box.textContent = msg;
    box.hidden = false;
  }
  return box;
}

/** Removes every error shown in form. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
  for (const el of form.querySelectorAll('.form-error')) {
    el.hidden = true;
    el.textContent = '';
  }
}

/** A list of chips, each with a remove button. */
export function chips(names, label, onRemove) {
  if (!names.length) return h('p', {class: 'muted chips-empty'}, 'None yet.');
  return h('ul', {class: 'chips'}, names.map((n) =>
    h('li', {class: 'chip', dataset: {name: n}}, n,
      h('button', {class: 'chip-x', type: 'button', 'aria-label': `Remove ${n} from ${label}`, title: `Remove from ${label}`, onclick: () => onRemove(n)}, '×'))));
}
