/** The message log: one keyed <li> per message, author styling, pending and failed states. */

import { h, linkify, safeUrl } from '../dom.js';
import { formatSize } from '../upload.js';

const DEFAULT_NAMES = { agent: 'Agent', bot: 'Assistant', system: '', customer: 'You' };

export class MessageLog {
  constructor({ gateway, onRetry }) {
    this.gateway = gateway;
    this.onRetry = onRetry;
    this.items = new Map(); // entry key -> <li>
    this.el = h('ol', { className: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
  }

  // Re-renders the changed entries and puts every <li> in conversation order.
  render(entries, changed) {
    const nearBottom = this.el.scrollHeight - this.el.scrollTop - this.el.clientHeight < 60;
    for (const entry of changed) {
      const li = this.renderEntry(entry);
      const old = this.items.get(entry.key);
      if (old) old.replaceWith(li);
      this.items.set(entry.key, li);
    }
    entries.forEach((entry, index) => {
      const li = this.items.get(entry.key);
      if (this.el.children[index] !== li) this.el.insertBefore(li, this.el.children[index] || null);
    });
    for (const [key, li] of this.items) {
      if (!entries.some((entry) => entry.key === key)) {
        li.remove();
        this.items.delete(key);
      }
    }
    if (nearBottom || changed.some((entry) => entry.state !== 'sent')) this.scrollToEnd();
  }

  scrollToEnd() {
    this.el.scrollTop = this.el.scrollHeight;
  }

  renderEntry(entry) {
    const m = entry.message;
    const kind = DEFAULT_NAMES[m.author_kind] === undefined ? 'system' : m.author_kind;
    const name = m.author_name || DEFAULT_NAMES[kind];
    return h(
      'li',
      {
        className: `msg msg--${kind} msg--${entry.state}`,
        'data-message-id': m.id,
        'data-client-id': m.client_id,
      },
      kind === 'agent' || kind === 'bot' ? h('span', { className: 'author' }, name) : null,
      m.text ? h('div', { className: 'text' }, linkify(m.text)) : null,
      (m.attachments || []).map((file) => this.renderAttachment(file)),
      kind === 'system' ? null : this.renderMeta(entry, name),
    );
  }

  renderAttachment(file) {
    const url = safeUrl(file.url, this.gateway);
    const label = `${file.filename} (${formatSize(file.size || 0)})`;
    if (!url) return h('div', { className: 'file' }, label);
    const image = (file.content_type || '').startsWith('image/');
    return h(
      'a',
      { className: 'file', href: url, target: '_blank', rel: 'noopener noreferrer' },
      image ? h('img', { src: url, alt: file.filename, loading: 'lazy' }) : label,
    );
  }

  renderMeta(entry, name) {
    if (entry.state === 'pending') return h('span', { className: 'meta' }, 'Sending…');
    if (entry.state === 'failed') {
      return h(
        'span',
        { className: 'meta meta--failed' },
        `Not sent: ${entry.error || 'unknown error'} `,
        h('button', { type: 'button', className: 'retry', onClick: () => this.onRetry(entry.key) }, 'Retry'),
      );
    }
    const time = new Date(entry.message.created_at);
    const when = Number.isNaN(time.getTime())
      ? ''
      : time.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return h('span', { className: 'meta', title: name }, when);
  }
}
