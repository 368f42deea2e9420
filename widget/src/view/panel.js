/** The widget shell in a shadow root: launcher, dialog panel, status lines, alerts, typing. */

import { h, icon } from '../dom.js';
import { STYLES } from '../styles.js';
import { Composer } from './composer.js';
import { MessageLog } from './messages.js';
import { OfflineForm } from './offline.js';
import { WaitingLine } from './waiting.js';

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  connected: '',
};
const TYPING_TIMEOUT_MS = 10000; // hide a typing hint whose "stopped" event never came

export class Panel {
  constructor(config, actions) {
    this.config = config;
    this.unread = 0;
    this.log = new MessageLog({ gateway: config.gateway, onRetry: actions.retry });
    this.composer = new Composer({
      onSend: actions.send, onTyping: actions.typing, onUpload: actions.upload,
      onError: (text) => this.showAlert(text),
    });
    this.offline = new OfflineForm({ name: config.name, email: config.email, onSubmit: actions.contact });
    this.waiting = new WaitingLine();
    this.onOpen = actions.open;
    this.build();
  }

  build() {
    this.badge = h('span', { className: 'badge', hidden: true, 'aria-hidden': 'true' });
    this.launcher = h('button', {
      type: 'button', className: 'launcher', 'aria-label': 'Open chat', 'aria-expanded': 'false',
      'aria-controls': 'autocrm-panel', onClick: () => this.toggle(),
    }, icon('chat', 28), this.badge);
    this.presence = h('p', { className: 'presence' });
    this.connection = h('div', { className: 'connection', role: 'status', hidden: true });
    this.alertText = h('span');
    this.alert = h('div', { className: 'alert', role: 'alert', hidden: true }, this.alertText,
      h('button', { type: 'button', className: 'icon', 'aria-label': 'Dismiss', onClick: () => this.hideAlert() }, icon('close', 16)));
    this.typing = h('p', { className: 'typing', 'aria-live': 'polite', hidden: true });
    this.panel = h('section', {
      id: 'autocrm-panel', className: 'panel', role: 'dialog', 'aria-label': this.config.title, hidden: true,
      onKeydown: (event) => event.key === 'Escape' && this.close(),
    },
    h('header', {}, h('div', {}, h('h2', {}, this.config.title), this.presence),
      h('button', { type: 'button', className: 'icon close', 'aria-label': 'Close chat', onClick: () => this.close() }, icon('close'))),
    this.connection, this.alert, this.log.el, this.typing, this.waiting.el, this.offline.el, this.composer.el);
  }

  mount() {
    this.host = h('div', { id: 'autocrm-widget' });
    // A shadow root keeps the host page's CSS out and ours in.
    const root = this.host.attachShadow({ mode: 'open' });
    root.append(h('style', {}, STYLES), this.launcher, this.panel);
    document.body.appendChild(this.host);
  }

  get isOpen() {
    return !this.panel.hidden;
  }

  toggle() {
    if (this.isOpen) this.close();
    else this.open();
  }

  open() {
    this.panel.hidden = false;
    this.host.classList.add('open');
    this.launcher.setAttribute('aria-expanded', 'true');
    this.launcher.setAttribute('aria-label', 'Hide chat');
    this.setUnread(0);
    this.log.scrollToEnd();
    this.composer.focus();
    this.onOpen();
  }

  close() {
    this.panel.hidden = true;
    this.host.classList.remove('open');
    this.launcher.setAttribute('aria-expanded', 'false');
    this.setUnread(0);
    this.launcher.focus();
  }

  setUnread(count) {
    this.unread = count;
    this.badge.hidden = count === 0;
    this.badge.textContent = String(count);
    if (!this.isOpen) {
      this.launcher.setAttribute('aria-label', count ? `Open chat (${count} unread)` : 'Open chat');
    }
  }

  setConnection(state, detail) {
    const text = state === 'failed' ? `Chat is unavailable: ${detail}` : CONNECTION_TEXT[state];
    this.connection.hidden = !text;
    this.connection.textContent = text || '';
  }

  setPresence(agentsOnline) {
    this.presence.textContent = agentsOnline ? 'We usually reply in a few minutes' : 'We are away right now';
  }

  showAlert(text) {
    this.alertText.textContent = text;
    this.alert.hidden = false;
  }

  hideAlert() {
    this.alert.hidden = true;
    this.composer.focus();
  }

  showTyping(kind, typing) {
    clearTimeout(this.typingTimer);
    this.typing.hidden = !typing;
    this.typing.textContent = typing ? `${kind === 'bot' ? 'Assistant' : 'Agent'} is typing…` : '';
    if (typing) this.typingTimer = setTimeout(() => this.showTyping(kind, false), TYPING_TIMEOUT_MS);
  }
}
