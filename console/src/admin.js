/** Admin pages: forms and buttons that call /api/v1, and the rules' condition builder.
 *
 * <form data-api="POST /api/v1/teams" data-done="Team saved"> posts its fields as JSON: a name
 * with dots nests ("config.address"), data-kind converts (int, float, bool, list = comma
 * separated, pairs = comma-separated key=value into an object, set / set-int = checkbox group,
 * json), blank fields and disabled fieldsets are
 * left out (data-keep sends a blank as null). With data-reveal="key" the answer's `key` is
 * shown once in the form's [data-revealed] box instead of reloading the page.
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

async function submit(form) {
  const { method, path } = call(form.dataset.api);
  let body;
  try {
    body = formBody(form);
  } catch (err) {
    toast(`Check the form: ${err.message}`, { bad: true });
    return;
  }
  const button = form.querySelector('button:not([type=button])');
  if (button) button.disabled = true;
  const result = await attempt(() => api(method, path, body), form.dataset.done || 'Saved');
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
