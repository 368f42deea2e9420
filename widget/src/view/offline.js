/** The offline form (email, name, message), shown while no one can chat: the message becomes
 * an email ticket, so the answer comes by email. It says when the team is back, when known. */

import { h } from '../dom.js';
import { uuid4 } from '../uuid.js';
import { describeOpening } from './waiting.js';

export class OfflineForm {
  constructor({ name, email, onSubmit }) {
    this.onSubmit = onSubmit;
    this.clientId = uuid4(); // a resent form is one ticket
    this.email = h('input', {
      type: 'email', required: true, autocomplete: 'email', value: email || '',
      'aria-label': 'Your email', placeholder: 'you@example.com',
    });
    this.name = h('input', {
      type: 'text', autocomplete: 'name', value: name || '',
      'aria-label': 'Your name (optional)', placeholder: 'Your name (optional)',
    });
    this.message = h('textarea', {
      rows: 2, 'aria-label': 'Your message (optional)', placeholder: 'Your message (optional)',
    });
    this.note = h('p', { className: 'offline-note', role: 'status' });
    this.button = h('button', { type: 'submit' }, 'Notify me');
    this.form = h('form', { className: 'offline-fields', onSubmit: (event) => this.submit(event) },
      this.email, this.name, this.message, this.button);
    this.lead = h('p', {}, "No one is online right now. Leave your email and we'll reply there.");
    this.el = h('section', { className: 'offline', 'aria-label': 'Leave your email', hidden: true },
      this.lead, this.form, this.note);
  }

  show(visible) {
    this.el.hidden = !visible;
  }

  // Why no one can chat, and when someone will be back (null: unknown or open).
  explain(nextOpen) {
    const back = describeOpening(nextOpen);
    this.lead.textContent = back
      ? `Our team is away right now and back ${back}. Leave your email and we'll reply there.`
      : "No one is online right now. Leave your email and we'll reply there.";
  }

  async submit(event) {
    event.preventDefault();
    const email = this.email.value.trim();
    if (!this.email.checkValidity() || !email) {
      this.note.textContent = 'Please enter a valid email address.';
      return;
    }
    const contact = { email, name: this.name.value.trim() || undefined };
    const message = this.message.value.trim();
    if (message) Object.assign(contact, { message, client_id: this.clientId });
    this.button.disabled = true;
    try {
      await this.onSubmit(contact);
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
