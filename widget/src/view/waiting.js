/** The honest-waiting line: where the customer stands while a human is needed. */

import { h } from '../dom.js';

// The server's `waiting` object (see widget/README.md): state none | queued | assigned | offline.
export function waitingText(waiting) {
  if (!waiting) return '';
  if (waiting.state === 'assigned') {
    const who = waiting.assignee_name ? `${waiting.assignee_name} from our team` : 'Someone from our team';
    return `${who} has your conversation and will reply here.`;
  }
  if (waiting.state !== 'queued') return ''; // offline: the form says it; none: nothing to say
  const parts = ['A person from our team will be with you soon.'];
  if (waiting.position) {
    parts.push(waiting.position === 1 ? 'You are next in line.' : `You are number ${waiting.position} in line.`);
  }
  if (waiting.expected_wait_seconds != null) {
    parts.push(`Typical wait: ${describeWait(waiting.expected_wait_seconds)}.`);
  }
  return parts.join(' ');
}

export function describeWait(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 1) return 'under a minute';
  if (minutes === 1) return 'about 1 minute';
  if (minutes < 90) return `about ${minutes} minutes`;
  return `about ${Math.round(minutes / 60)} hours`;
}

// The next opening in the visitor's own time zone and language ("Monday 09:00").
export function describeOpening(iso) {
  const when = iso ? new Date(iso) : null;
  if (!when || Number.isNaN(when.getTime())) return '';
  return when.toLocaleString([], {
    weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
  });
}

export class WaitingLine {
  constructor() {
    this.el = h('p', { className: 'waiting', role: 'status', 'aria-live': 'polite', hidden: true });
  }

  show(waiting) {
    const text = waitingText(waiting);
    this.el.hidden = !text;
    this.el.textContent = text;
    this.el.dataset.state = (waiting && waiting.state) || 'none';
  }
}
