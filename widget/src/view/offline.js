/** The "leave your email" form shown while no agent is online. */

import { h } from '../dom.js';

export class OfflineForm {
  constructor({ name, email, onSubmit }) {
    this.onSubmit = onSubmit;
    this.email = h('input', {
      type: 'email', required: true, autocomplete: 'email', value: email || '',
      'aria-label': 'Your email', placeholder: 'you@example.com',
    });
    this.name = h('input', {
      type: 'text', autocomplete: 'name', value: name || '',
      'aria-label': 'Your name (optional)', placeholder: 'Your name (optional)',
    });
    this.note = h('p', { className: 'offline-note', role: 'status' });
    this.button = h('button', { type: 'submit' }, 'Notify me');
    this.form = h('form', { className: 'offline-fields', onSubmit: (event) => this.submit(event) },
      this.email, this.name, this.button);
    this.el = h('section', { className: 'offline', 'aria-label': 'Leave your email', hidden: true },
      h('p', {}, "No one is online right now. Leave your email and we'll reply there."),
      this.form, this.note);
  }

  show(visible) {
    this.el.hidden = !visible;
  }

  async submit(event) {
    event.preventDefault();
    const email = this.email.value.trim();
    if (!this.email.checkValidity() || !email) {
      this.note.textContent = 'Please enter a valid email address.';
      return;
    }
    this.button.disabled = true;
    try {
      await this.onSubmit({ email, name: this.name.value.trim() || undefined });
      this.form.hidden = true;
      this.note.textContent = `Thanks! We'll reply to ${email}.`;
    } catch (err) {
      this.note.textContent = err.message;
    } finally {
      this.button.disabled = false;
    }
  }

  thanked(email) {
    this.form.hidden = true;
    this.note.textContent = email ? `We'll reply to ${email}.` : "We'll reply by email.";
  }
}
