/** The composer: text, attachments (checked, uploaded, shown as chips), send, typing signals. */

import { h, icon } from '../dom.js';
import { ACCEPT, checkFile, formatSize } from '../upload.js';

const TYPING_IDLE_MS = 3000; // stop signal after this long without a keystroke
const TYPING_REPEAT_MS = 4000; // re-announce while typing, so a server-side expiry never fires

export class Composer {
  constructor({ onSend, onTyping, onUpload, onError }) {
    Object.assign(this, { onSend, onTyping, onUpload, onError });
    this.files = []; // {name, size, state: 'uploading'|'ready', result}
    this.typingSince = 0;
    this.idleTimer = null;
    this.build();
  }

  build() {
    this.input = h('textarea', {
      rows: 1,
      'aria-label': 'Message',
      placeholder: 'Write a message…',
      onInput: () => this.typed(),
      onKeydown: (event) => this.keydown(event),
    });
    this.fileInput = h('input', {
      type: 'file', accept: ACCEPT, multiple: true, hidden: true, tabindex: -1,
      onChange: () => this.picked(),
    });
    this.attach = h('button', {
      type: 'button', className: 'icon attach', 'aria-label': 'Attach a file',
      onClick: () => this.fileInput.click(),
    }, icon('attach'));
    this.send = h('button', { type: 'submit', className: 'icon send', 'aria-label': 'Send' }, icon('send'));
    this.chips = h('ul', { className: 'chips', 'aria-label': 'Attachments' });
    this.form = h('form', { className: 'composer', onSubmit: (event) => this.submit(event) },
      this.attach, this.fileInput, this.input, this.send);
    this.el = h('div', { className: 'compose-area' }, this.chips, this.form);
  }

  focus() {
    this.input.focus();
  }

  keydown(event) {
    // Enter sends, Shift+Enter makes a new line, as in most chat apps.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.submit(event);
    }
  }

  typed() {
    // Grow with the text up to the CSS max-height, then scroll.
    this.input.style.height = 'auto';
    this.input.style.height = `${this.input.scrollHeight + 2}px`;
    const now = Date.now();
    if (now - this.typingSince > TYPING_REPEAT_MS) {
      this.typingSince = now;
      this.onTyping(true);
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
  }

  stopTyping() {
    clearTimeout(this.idleTimer);
    if (this.typingSince) this.onTyping(false);
    this.typingSince = 0;
  }

  submit(event) {
    event.preventDefault();
    const text = this.input.value.trim();
    if (this.files.some((file) => file.state === 'uploading')) {
      this.onError('Please wait until the attachment has finished uploading.');
      return;
    }
    const attachments = this.files.map((file) => file.result);
    if (!text && !attachments.length) return;
    this.stopTyping();
    this.onSend(text, attachments);
    this.input.value = '';
    this.input.style.height = '';
    this.files = [];
    this.renderChips();
    this.input.focus();
  }

  picked() {
    for (const file of Array.from(this.fileInput.files)) this.add(file);
    this.fileInput.value = '';
  }

  async add(file) {
    const problem = checkFile(file);
    if (problem) {
      this.onError(problem);
      return;
    }
    const item = { name: file.name, size: file.size, state: 'uploading', result: null };
    this.files.push(item);
    this.renderChips();
    try {
      item.result = await this.onUpload(file);
      item.state = 'ready';
    } catch (err) {
      this.files = this.files.filter((other) => other !== item);
      this.onError(err.message);
    }
    this.renderChips();
  }

  renderChips() {
    this.chips.replaceChildren(...this.files.map((item) => h('li', { className: 'chip' },
      `${item.name} (${item.state === 'uploading' ? 'uploading…' : formatSize(item.size)})`,
      h('button', {
        type: 'button', className: 'icon', 'aria-label': `Remove ${item.name}`,
        onClick: () => this.remove(item),
      }, icon('close', 14)))));
  }

  remove(item) {
    this.files = this.files.filter((other) => other !== item);
    this.renderChips();
    this.input.focus();
  }
}
