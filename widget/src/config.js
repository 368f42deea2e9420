/** Reads the embed configuration: the script tag's data attributes and window.AutoCRM. */

// Captured while the script runs: document.currentScript is null inside later callbacks.
export function findScript() {
  return document.currentScript || document.querySelector('script[data-widget-key]');
}

export function readConfig(script, globals) {
  const data = (script && script.dataset) || {};
  const user = globals || {};
  const src = (script && script.src) || window.location.href;
  return {
    widgetKey: data.widgetKey || user.widgetKey || '',
    // The gateway serves widget.js, so the script's own origin is the gateway.
    gateway: new URL(src, window.location.href).origin,
    userId: data.userId || user.userId || null,
    userHash: data.userHash || user.userHash || null,
    name: user.name || data.userName || '',
    email: user.email || data.userEmail || '',
    title: data.title || user.title || 'Chat with us',
  };
}
