// DOM helpers of the console. Data only ever reaches the page as text nodes
// or attribute values (never as markup): h() turns every string child into a
// text node, and nothing here ever parses a string as markup.

let idSerial = 0;

/** A fresh element id with PREFIX, for label/aria links. */
export function uid(prefix) {
  idSerial += 1;
  return `${prefix}-${idSerial}`;
}

/**
 * h('button', {type: 'button', class: 'x', on: {click: fn}}, 'text', child...)
 * Attributes are set with setAttribute (boolean true: present, false/null:
 * absent); `on` adds listeners; `props` sets element properties. Children:
 * nodes, strings (as text), numbers, arrays, null/undefined/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === 'on') {
      for (const [event, fn] of Object.entries(value)) el.addEventListener(event, fn);
    } else if (key === 'props') {
      Object.assign(el, value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

/** Replace EL's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/**
 * A labelled input with its error slot: {wrap, input, error}. OPTIONS:
 * name (the API's field name, for field errors), type, required, hint,
 * and any other attribute for the input. A checkbox puts its label after it.
 */
export function field(label, options = {}) {
  const { hint, tag = 'input', choices, ...attrs } = options;
  const id = uid(`f-${attrs.name || 'field'}`);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = tag === 'select'
    ? h('select', { id, ...attrs }, (choices || []).map(([value, text]) => h('option', { value }, text)))
    : h(tag, { id, ...attrs });
  input.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
  const error = h('span', { id: errorId, class: 'field-error' });
  const labelEl = h('label', { for: id }, label);
  const hintEl = hint ? h('span', { id: hintId, class: 'hint' }, hint) : null;
  const wrap = attrs.type === 'checkbox'
    ? h('div', { class: 'field check' }, input, labelEl, hintEl, error)
    : h('div', { class: 'field' }, labelEl, input, hintEl, error);
  input.fieldError = error;
  return { wrap, input, error };
}

/** Clear every field error inside ROOT. */
export function clearFieldErrors(root) {
  for (const el of root.querySelectorAll('.field-error')) el.textContent = '';
  for (const el of root.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Show ERR's per-field messages (ApiError.fields, keyed by the API's field
 * names) next to the inputs of ROOT with those names. Returns whether any
 * was placed.
 */
export function showFieldErrors(root, err) {
  let placed = false;
  const fields = { ...(err.fields || {}) };
  // A refusal without per-field messages ("Email already used.", "voice
  // server already exists with given hostname") goes next to the fields it
  // names, too.
  if (Object.keys(fields).length === 0 && err.message) {
    const named = [...root.querySelectorAll('input[name]:not([type=hidden]), select[name]')]
      .filter((input) => new RegExp(`\\b${input.name}\\b`, 'i').test(err.message));
    if (named.length === 1) fields[named[0].name] = [err.message];
  }
  for (const [name, messages] of Object.entries(fields)) {
    const input = root.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input || !input.fieldError) continue;
    input.fieldError.textContent = messages.join('; ');
    input.setAttribute('aria-invalid', 'true');
    placed = true;
  }
  return placed;
}

/** A status line for an action's progress and result (role=status). */
export function statusLine() {
  return h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
}

/** Set a status line: KIND is 'busy', 'ok' or 'error'. */
export function setStatus(el, kind, text) {
  el.className = `status ${kind}`;
  el.textContent = text;
}

/**
 * Run FN (async) as the action of BUTTON, reporting in STATUS: the button is
 * disabled and the status says WORKING meanwhile; then the status shows what
 * FN returns (a string: the result) or the error's message, and field errors
 * go next to their fields in FORM (when given). Resolves to FN's result, or
 * undefined after an error.
 */
export async function runAction({ button, status, form, working = 'Working…' }, fn) {
  if (form) clearFieldErrors(form);
  if (button) button.disabled = true;
  if (form) form.setAttribute('aria-busy', 'true');
  setStatus(status, 'busy', working);
  try {
    const result = await fn();
    if (typeof result === 'string') setStatus(status, 'ok', result);
    else if (result && typeof result.message === 'string') setStatus(status, 'ok', result.message);
    else setStatus(status, 'ok', 'Done.');
    return result;
  } catch (err) {
    if (form) showFieldErrors(form, err);
    setStatus(status, 'error', err.message || String(err));
    return undefined;
  } finally {
    if (button) button.disabled = false;
    if (form) form.removeAttribute('aria-busy');
  }
}

let confirmDialog;

/**
 * Ask before a destructive action, in a modal <dialog> (focus stays inside
 * it; Escape cancels). TITLE and TEXT are plain text. Resolves to true when
 * the CONFIRM button was chosen.
 */
export function confirmAction(title, text, confirm) {
  if (!confirmDialog) {
    confirmDialog = document.getElementById('confirm');
  }
  const d = confirmDialog;
  d.querySelector('#confirm-title').textContent = title;
  d.querySelector('#confirm-text').textContent = text;
  const ok = d.querySelector('#confirm-ok');
  ok.textContent = confirm;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    d.addEventListener('close', () => {
      if (opener && opener.isConnected) opener.focus();
      resolve(d.returnValue === 'ok');
    }, { once: true });
    d.returnValue = '';
    d.showModal();
    d.querySelector('#confirm-cancel').focus();
  });
}

/** A table inside a focusable, labelled scroll region (narrow screens). */
export function table(caption, headers, rows) {
  const t = h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map((text) => h('th', { scope: 'col' }, text)))),
    h('tbody', {}, rows));
  return h('div', { class: 'scroll', tabindex: '0', role: 'region', 'aria-label': caption }, t);
}

/** A cell: h('td') with CHILDREN, labelled with its column for narrow layouts. */
export function td(...children) {
  return h('td', {}, ...children);
}

/** A section of a page: a heading and its content. */
export function panel(title, ...children) {
  const headingId = uid('panel');
  return h('section', { class: 'panel', 'aria-labelledby': headingId },
    h('h2', { id: headingId }, title), ...children);
}

/** A date as the API gives it, shown in UTC ("2026-12-01 14:00:00 UTC"). */
export function when(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Parse "#/page?x=1" into {page, params}. */
export function parseHash(hash) {
  const text = (hash || '').replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const page = (q < 0 ? text : text.slice(0, q)) || '';
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  return { page, params };
}

/** "#/PAGE?params" from PAGE and an object of parameters (empty ones left out). */
export function pageLink(page, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return `#/${page}${s ? `?${s}` : ''}`;
}
