/** Calls to /api/v1 with the session cookie and the CSRF token the page carries. */

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || '';

export async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const detail = (data && (data.detail || data.title)) || response.statusText;
    const error = new Error(typeof detail === 'string' ? detail : JSON.stringify(detail));
    error.status = response.status;
    error.problem = data; // problem+json: a 422 lists {loc, msg} in `errors`
    throw error;
  }
  return data;
}

export async function html(path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (response.redirected && new URL(response.url).pathname === '/console/login') {
    window.location.assign(response.url); // the session ended
    throw new Error('signed out');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.headers.get('content-type')?.includes('json') ? response.json() : response.text();
}

let toastTimer;
export function toast(text, { bad = false } = {}) {
  const box = document.querySelector('[data-toast]');
  if (!box) return;
  box.textContent = text;
  box.classList.toggle('bad', bad);
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, bad ? 6000 : 2500);
}

/** Run an action, showing its error (if any) instead of failing silently. */
export async function attempt(action, done) {
  try {
    const result = await action();
    if (done) toast(done);
    return result;
  } catch (err) {
    toast(err.message, { bad: true });
    return undefined;
  }
}

/** Call `fn` once things settle: at most every `ms`, and once more after the last call. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
