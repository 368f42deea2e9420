/** The widget's CSS, injected into its shadow root (so it neither leaks out nor inherits in). */

export const STYLES = `
:host { all: initial; }
* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
[hidden] { display: none !important; }
button { font: inherit; cursor: pointer; }
button:focus-visible, textarea:focus-visible, input:focus-visible, a:focus-visible {
  outline: 2px solid #1d4ed8; outline-offset: 2px;
}
.launcher {
  position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; width: 56px; height: 56px;
  display: flex; align-items: center; justify-content: center;
  border: none; border-radius: 50%; background: #1d4ed8; color: #fff; line-height: 0;
  box-shadow: 0 4px 14px rgba(0,0,0,.25);
}
.badge {
  position: absolute; top: -2px; right: -2px; min-width: 20px; height: 20px; padding: 0 5px;
  border-radius: 10px; background: #dc2626; color: #fff; font-size: 12px; line-height: 20px;
}
.panel {
  position: fixed; right: 20px; bottom: 88px; z-index: 2147483000; width: 370px;
  height: min(600px, calc(100vh - 120px)); display: flex; flex-direction: column;
  background: #fff; color: #111827; font-size: 14px; line-height: 1.4;
  border-radius: 12px; box-shadow: 0 10px 40px rgba(0,0,0,.25); overflow: hidden;
}
header {
  display: flex; align-items: center; justify-content: space-between; gap: 8px;
  padding: 12px 14px; background: #1d4ed8; color: #fff;
}
h2 { margin: 0; font-size: 16px; font-weight: 600; }
.presence { margin: 2px 0 0; font-size: 12px; opacity: .85; }
.icon { border: none; background: transparent; color: inherit; padding: 6px; line-height: 0; border-radius: 6px; }
.connection { padding: 6px 14px; background: #fef3c7; color: #92400e; font-size: 13px; }
.alert {
  display: flex; justify-content: space-between; align-items: flex-start; gap: 8px;
  padding: 8px 14px; background: #fee2e2; color: #991b1b; font-size: 13px;
}
.log {
  flex: 1; overflow-y: auto; margin: 0; padding: 12px; list-style: none;
  display: flex; flex-direction: column; gap: 8px; background: #f9fafb;
}
.msg {
  max-width: 82%; padding: 8px 11px; border-radius: 12px; word-wrap: break-word;
  white-space: pre-wrap; background: #fff; border: 1px solid #e5e7eb; align-self: flex-start;
}
.msg--customer { align-self: flex-end; background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
.msg--customer a { color: #fff; }
.msg--bot { background: #eef2ff; border-color: #c7d2fe; }
.msg--system {
  align-self: center; max-width: 95%; background: transparent; border: none;
  color: #6b7280; font-size: 12px; text-align: center;
}
.msg--pending { opacity: .65; }
.msg--failed { background: #fff; color: #991b1b; border: 1px solid #dc2626; }
.author { display: block; font-size: 12px; font-weight: 600; color: #4b5563; margin-bottom: 2px; }
.meta { display: block; font-size: 11px; opacity: .75; margin-top: 3px; text-align: right; }
.meta--failed { opacity: 1; }
.retry { border: none; background: none; color: #1d4ed8; text-decoration: underline; padding: 0; }
.file { display: block; margin-top: 4px; color: inherit; }
.file img { max-width: 100%; max-height: 180px; border-radius: 8px; display: block; }
.typing { margin: 0; padding: 4px 14px; font-size: 12px; color: #6b7280; font-style: italic; }
.waiting {
  margin: 0; padding: 8px 14px; border-top: 1px solid #e5e7eb; background: #eff6ff;
  color: #1e3a8a; font-size: 13px;
}
.offline-fields textarea { flex: 1 1 100%; max-height: 90px; }
.offline { padding: 10px 14px; border-top: 1px solid #e5e7eb; font-size: 13px; }
.offline p { margin: 0 0 6px; }
.offline-fields { display: flex; flex-wrap: wrap; gap: 6px; }
.offline-fields input {
  flex: 1 1 140px; padding: 7px 9px; border: 1px solid #d1d5db; border-radius: 8px; font-size: 14px;
}
.offline-fields button {
  padding: 7px 12px; border: none; border-radius: 8px; background: #1d4ed8; color: #fff;
}
.offline-note:empty { display: none; }
.compose-area { border-top: 1px solid #e5e7eb; }
.chips { list-style: none; margin: 0; padding: 0 10px; display: flex; flex-wrap: wrap; gap: 4px; }
.chips:empty { display: none; }
.chip {
  margin-top: 6px; padding: 2px 2px 2px 8px; border-radius: 12px; background: #e5e7eb; font-size: 12px;
}
.chip .icon { padding: 2px 6px; vertical-align: middle; }
.composer { display: flex; align-items: flex-end; gap: 4px; padding: 8px; }
textarea {
  flex: 1; resize: none; max-height: 120px; padding: 8px 10px; font-size: 14px;
  border: 1px solid #d1d5db; border-radius: 8px; color: #111827; background: #fff;
}
.send { color: #1d4ed8; }
.attach { color: #4b5563; }
@media (max-width: 480px) {
  .panel { inset: 0; width: 100%; height: 100%; max-height: none; border-radius: 0; }
  :host(.open) .launcher { display: none; }
  textarea, .offline-fields input { font-size: 16px; } /* below 16px iOS zooms in on focus */
}
`;
