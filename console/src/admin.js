/** Admin pages: forms and buttons that call /api/v1, and the rules' condition builder.
 *
 * <form data-api="POST /api/v1/teams" data-done="Team saved"> posts its fields as JSON: a name
 * with dots nests ("config.address"), data-kind converts (int, float, bool, list = comma
 * separated, pairs = comma-separated key=value into an object, set / set-int = checkbox group,
 * json, intervals = "09:00-17:00, 22:00-06:00" into [{start, end, overnight}], dates = lines of
 * "2025-12-24 Christmas Eve" into [{date, name}]), blank fields and disabled fieldsets are
 * left out (data-keep sends a blank as null). With data-reveal="key" the answer's `key` is
 * shown once in the form's [data-revealed] box instead of reloading the page. A 422 puts each
 * message next to its field (matched by the error's `loc` as a dotted name, else the nearest
 * [data-errors-for] container, else the form's [data-form-error] line).
 * <button data-call="DELETE /api/v1/teams/3" data-body='{...}' data-confirm="Sure?"> likewise.
 */

import { api, attempt, toast } from './api.js';

function pairs(raw) { // "plan=gold, region=eu" -> {plan: "gold", region: "eu"}
  const out = {};
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const at = item.indexOf('=');
    if (at < 1) throw new Error(`“${item}” is not key=value`);
    out[item.slice(0, at).trim()] = item.slice(at + 1).trim();
  }
  return out;
}

function intervals(raw) { // "09:00-17:00, 22:00-06:00" -> [{start, end, overnight}]
  return raw.split(',').map((s) => s.trim()).filter(Boolean).map((item) => {
    const [start, end] = item.split('-').map((s) => s.trim());
    if (!start || !end) throw new Error(`“${item}” is not HH:MM-HH:MM`);
    return { start, end, overnight: end !== '24:00' && end < start };
  });
}

function dates(raw) { // lines of "2025-12-24 Christmas Eve" -> [{date, name}]
  return raw.split('\n').map((s) => s.trim()).filter(Boolean).map((line) => {
    const [date, ...name] = line.split(/\s+/);
    return { date, name: name.join(' ') };
  });
}

function converted(el) {
  const kind = el.dataset.kind || 'text';
  if (el.type === 'checkbox' && !kind.startsWith('set')) return el.checked;
  const raw = el.value.trim();
  if (raw === '') return undefined;
  switch (kind) {
    case 'int': return Number.parseInt(raw, 10);
    case 'float': return Number(raw);
    case 'bool': return raw === 'true';
    case 'list': return raw.split(',').map((s) => s.trim()).filter(Boolean);
    case 'lines': return raw.split('\n').map((s) => s.trim()).filter(Boolean);
    case 'pairs': return pairs(raw);
    case 'json': return JSON.parse(raw);
    case 'intervals': return intervals(raw);
    case 'dates': return dates(raw);
    default: return raw;
  }
}

function put(target, path, value) {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] ??= {};
  node[keys[keys.length - 1]] = value;
}

function get(target, path) {
  return path.split('.').reduce((node, key) => (node == null ? undefined : node[key]), target);
}

export function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.name === 'csrf_token' || el.matches(':disabled')) continue;
    const kind = el.dataset.kind || '';
    if (kind.startsWith('set')) { // a checkbox group: the checked values, [] when none
      const list = get(body, el.name) || [];
      if (el.checked) list.push(kind === 'set-int' ? Number(el.value) : el.value);
      put(body, el.name, list);
      continue;
    }
    const value = converted(el);
    if (value !== undefined) put(body, el.name, value);
    else if ('keep' in el.dataset) put(body, el.name, el.dataset.kind === 'list' ? [] : null);
  }
  return body;
}

function call(spec) {
  const [method, path] = spec.split(' ');
  return { method, path };
}

function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
  const top = form.querySelector('[data-form-error]');
  if (top) { top.textContent = ''; top.hidden = true; }
}

/** Where an error's `loc` (["body", "targets", "normal", "first_response_minutes"]) lands. */
function placeFor(form, loc) {
  const path = loc[0] === 'body' ? loc.slice(1) : loc;
  for (let n = path.length; n > 0; n -= 1) {
    const name = path.slice(0, n).join('.');
    const seen = (el) => el && el.getClientRects().length > 0; // not in a hidden part
    const field = [...form.elements].find((el) => el.name === name && seen(el));
    if (field) return { field, anchor: field.closest('label') || field };
    const box = form.querySelector(`[data-errors-for="${CSS.escape(name)}"]`);
    if (seen(box)) return { anchor: box };
  }
  return null;
}

function showErrors(form, err) {
  const errors = (err.problem && err.problem.errors) || [];
  const top = form.querySelector('[data-form-error]');
  let unplaced = errors.length ? [] : [err.message];
  for (const { loc, msg } of errors) {
    const place = placeFor(form, loc || []);
    if (!place) {
      const where = (loc || []).slice(1).join('.');
      unplaced.push(where ? `${where}: ${msg}` : msg);
      continue;
    }
    const note = document.createElement('span');
    note.className = 'field-error';
    note.setAttribute('role', 'alert');
    note.textContent = msg.replace(/^Value error, /, '');
    if (place.anchor === place.field) place.field.after(note); // an input holds no children
    else place.anchor.append(note);
    if (place.field) place.field.setAttribute('aria-invalid', 'true');
  }
  unplaced = unplaced.map((m) => m.replace(/Value error, /, ''));
  const shown = errors.length > unplaced.length || (top && unplaced.length);
  if (top && unplaced.length) { top.textContent = unplaced.join(' · '); top.hidden = false; }
  // Said once: next to the fields (the toast only points there), else in the toast.
  const words = err.message.replace(/^body: /, '').replace(/Value error, /, '');
  toast(shown ? 'Not saved: see the marked fields' : words, { bad: true });
}

async function submit(form) {
  const { method, path } = call(form.dataset.api);
  clearErrors(form);
  let body;
  try {
    body = formBody(form);
  } catch (err) {
    toast(`Check the form: ${err.message}`, { bad: true });
    return;
  }
  const button = form.querySelector('button:not([type=button])');
  if (button) button.disabled = true;
  let result;
  try {
    result = await api(method, path, body);
    toast(form.dataset.done || 'Saved');
  } catch (err) {
    showErrors(form, err);
  }
  if (button) button.disabled = false;
  if (result === undefined) return;
  const reveal = form.dataset.reveal;
  if (reveal) {
    form.reset(); // first: a reset would empty the <output> too
    const box = form.querySelector('[data-revealed]');
    box.querySelector('output').textContent = result[reveal];
    box.hidden = false;
    return;
  }
  window.location.reload();
}

function startBuilder(builder) {
  const menu = builder.querySelector('[data-add-cond]');
  const empty = builder.querySelector('[data-builder-empty]');
  const shown = () => builder.querySelectorAll('fieldset[data-cond]:not([hidden])').length;
  const toggle = (fieldset, on) => {
    fieldset.hidden = !on;
    fieldset.disabled = !on;
    menu.querySelector(`option[value="${fieldset.dataset.cond}"]`).disabled = on;
    empty.hidden = shown() > 0;
  };
  menu.addEventListener('change', () => {
    const fieldset = builder.querySelector(`fieldset[data-cond="${menu.value}"]`);
    menu.value = '';
    if (!fieldset) return;
    toggle(fieldset, true);
    fieldset.querySelector('input, select')?.focus();
  });
  builder.addEventListener('click', (e) => {
    const remove = e.target.closest('[data-remove-cond]');
    if (remove) toggle(remove.closest('fieldset'), false);
  });
  builder.closest('form').addEventListener('reset', () => {
    for (const fieldset of builder.querySelectorAll('fieldset[data-cond]')) toggle(fieldset, false);
  });
}

export function startAdmin() {
  for (const form of document.querySelectorAll('form[data-api]')) {
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submit(form);
    });
  }
  for (const builder of document.querySelectorAll('[data-builder]')) startBuilder(builder);
  document.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-call]');
    if (!button) return;
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const { method, path } = call(button.dataset.call);
    const body = button.dataset.body ? JSON.parse(button.dataset.body) : undefined;
    button.disabled = true;
    const done = await attempt(() => api(method, path, body).then(() => true), button.dataset.done);
    button.disabled = false;
    if (done) window.location.reload();
  });
  for (const input of document.querySelectorAll('input[type=file][data-upload]')) {
    input.closest('form').addEventListener('submit', async (e) => {
      e.preventDefault();
      const data = new FormData();
      for (const file of input.files) data.append('file', file);
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const sent = await attempt(async () => {
        const response = await fetch(input.dataset.upload, {
          method: 'POST', body: data, credentials: 'same-origin', headers: { 'X-CSRF-Token': csrf },
        });
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) throw new Error(answer.detail || response.statusText);
        return answer;
      });
      if (sent) {
        toast(Object.entries(sent).map(([k, v]) => `${v} ${k}`).join(', '));
        setTimeout(() => window.location.reload(), 1200);
      }
    });
  }
}
