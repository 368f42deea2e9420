/** Per-widget-key persistence in localStorage (visitor token, conversation, last seq). */

const PREFIX = 'autocrm:';

export function createStorage(widgetKey) {
  const key = PREFIX + widgetKey;
  function read() {
    try {
      return JSON.parse(window.localStorage.getItem(key)) || {};
    } catch (_err) {
      return {};
    }
  }
  function write(patch) {
    try {
      window.localStorage.setItem(key, JSON.stringify(Object.assign(read(), patch)));
    } catch (_err) {
      // Storage disabled (private mode, quota): the conversation then lasts for this page only.
    }
  }
  function clear() {
    try {
      window.localStorage.removeItem(key);
    } catch (_err) {
      // Nothing stored, nothing to clear.
    }
  }
  return { read, write, clear };
}
