/** The conversation as the widget knows it: messages keyed by id / client id, pending sends, seq. */

export class Conversation {
  constructor() {
    this.entries = new Map(); // key -> entry; key is the client id when we made it, else the id
    this.keyById = new Map(); // server message id -> key
    this.lastSeq = 0;
    this.order = 0;
  }

  // Every event advances lastSeq, which the next (re)connect sends so the server replays the rest.
  noteSeq(seq) {
    if (typeof seq === 'number' && seq > this.lastSeq) this.lastSeq = seq;
  }

  addPending({ clientId, text, attachments }) {
    const message = {
      id: null,
      client_id: clientId,
      direction: 'in',
      author_kind: 'customer',
      text,
      attachments,
      created_at: new Date().toISOString(),
    };
    const entry = { key: clientId, message, seq: null, state: 'pending', error: null };
    entry.order = this.order++;
    this.entries.set(clientId, entry);
    return entry;
  }

  // Merges a committed message; a copy we already show (by id or client id) is updated, not added.
  applyMessage(message, seq) {
    const key = this.keyById.get(message.id) || (message.client_id && this.entries.has(message.client_id)
      ? message.client_id
      : message.id);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { key, order: this.order++ };
      this.entries.set(key, entry);
    }
    entry.message = message;
    entry.state = 'sent';
    entry.error = null;
    if (typeof seq === 'number') entry.seq = seq;
    this.keyById.set(message.id, key);
    return entry;
  }

  markFailed(key, error) {
    const entry = this.entries.get(key);
    if (!entry || entry.state === 'sent') return null;
    entry.state = 'failed';
    entry.error = error;
    return entry;
  }

  markPending(key) {
    const entry = this.entries.get(key);
    if (entry && entry.state === 'failed') {
      entry.state = 'pending';
      entry.error = null;
    }
    return entry;
  }

  unacked() {
    return this.ordered().filter((entry) => entry.state === 'pending');
  }

  // A different conversation (expired token, another user): drop what was confirmed, keep sends.
  dropConfirmed() {
    for (const [key, entry] of this.entries) {
      if (entry.state === 'sent') this.entries.delete(key);
    }
    this.keyById.clear();
    this.lastSeq = 0;
  }

  // Committed messages in seq order, then what is still on its way, in the order it was written.
  ordered() {
    return Array.from(this.entries.values()).sort((a, b) => {
      const sa = a.seq == null ? Infinity : a.seq;
      const sb = b.seq == null ? Infinity : b.seq;
      return sa === sb ? a.order - b.order : sa - sb;
    });
  }
}
