/** The widget controller: wires the socket protocol, the conversation state and the panel. */

import { openSocket, request } from './connection.js';
import { Conversation } from './conversation.js';
import { createStorage } from './storage.js';
import { uploadFile } from './upload.js';
import { uuid4 } from './uuid.js';
import { Panel } from './view/panel.js';

const ERROR_WORDS = {
  rate_limited: 'You are sending messages too fast. Please wait a moment.',
  too_large: 'That message is too large to send.',
  forbidden: 'This chat is not available on this site.',
};

export class Widget {
  constructor(config) {
    this.config = config;
    this.storage = createStorage(config.widgetKey);
    this.conversation = new Conversation();
    this.socket = null;
    this.sessionId = 0; // counts sessions, so a message is emitted once per session
    this.ready = false;
    this.agentsOnline = true;
    this.waiting = null; // the server's `waiting`: where a wait for a human stands
    this.nextOpen = null;
    this.forgetOtherUser();
    this.panel = new Panel(config, {
      open: () => {
        this.markSeen();
        this.connect();
      },
      send: (text, attachments) => this.send(text, attachments),
      retry: (key) => this.retry(key),
      typing: (typing) => this.ready && this.socket.emit('typing', { typing }),
      upload: (file) => this.upload(file),
      contact: (contact) => this.contact(contact),
    });
  }

  // On a shared computer, a different signed-in customer must not see the previous conversation.
  forgetOtherUser() {
    const saved = this.storage.read();
    if (saved.visitorToken && (saved.userId || null) !== (this.config.userId || null)) {
      this.storage.clear();
    }
  }

  start() {
    this.panel.mount();
    this.panel.setPresence(true);
    if (this.storage.read().contactSent) this.panel.offline.thanked(this.storage.read().contactEmail);
    // Returning visitors connect at once (to get replies); new ones when they open the panel.
    if (this.storage.read().visitorToken) this.connect();
  }

  auth() {
    const auth = {
      widget_key: this.config.widgetKey,
      visitor_token: this.storage.read().visitorToken || null,
      // This tab's own seq, not the stored one: another tab may have seen more than we show.
      last_seq: this.conversation.lastSeq,
    };
    if (this.config.userId) Object.assign(auth, { user_id: this.config.userId, user_hash: this.config.userHash });
    return auth;
  }

  connect() {
    if (this.socket) return;
    this.panel.setConnection('connecting');
    this.socket = openSocket({
      gateway: this.config.gateway,
      auth: () => this.auth(),
      on: {
        session: (session) => this.onSession(session),
        event: (event) => this.onEvent(event, true),
        error: (error) => this.panel.showAlert(describeError(error)),
        disconnect: (reason) => this.onDisconnect(reason),
        connect_error: (err) => this.onConnectError(err),
      },
    });
  }

  onSession(session) {
    const known = this.storage.read().conversationId;
    if (this.conversationId && session.conversation_id !== this.conversationId) {
      this.conversation.dropConfirmed();
    }
    this.conversationId = session.conversation_id;
    if (known && known !== session.conversation_id) this.storage.write({ contactSent: false });
    this.storage.write({
      visitorToken: session.visitor_token,
      conversationId: session.conversation_id,
      userId: this.config.userId || null,
    });
    this.nextOpen = session.next_open || null;
    this.waiting = session.waiting || null;
    this.setAgentsOnline(Boolean(session.agents_online));
    const changed = (session.history || []).map((event) => this.onEvent(event, false));
    this.render(changed.filter(Boolean));
    this.storage.write({ lastSeq: this.conversation.lastSeq });
    this.ready = true;
    this.sessionId += 1;
    this.panel.setConnection('connected');
    this.flush();
  }

  // Applies one event; a live message is rendered at once, history is rendered by the caller.
  onEvent(event, live) {
    this.conversation.noteSeq(event.seq);
    if (live) this.storage.write({ lastSeq: this.conversation.lastSeq });
    if (event.type === 'message') {
      const known = this.conversation.keyById.has(event.message.id);
      const entry = this.conversation.applyMessage(event.message, event.seq);
      if (live) this.render([entry]);
      if (event.message.direction === 'out') this.onReply(event, known);
      return entry;
    }
    // A typing flag in history is stale; only live ones are shown.
    if (event.type === 'typing' && live && event.author_kind !== 'customer') {
      this.panel.showTyping(event.author_kind, Boolean(event.typing));
    } else if (event.type === 'status' && (event.status === 'offline' || event.status === 'online')) {
      this.setAgentsOnline(event.status === 'online');
    } else if (event.type === 'waiting' && event.waiting) {
      this.waiting = event.waiting;
      this.showAvailability();
    }
    return null;
  }

  // Replies the customer has not seen (while the panel was closed, or before a reload) are counted.
  onReply(event, known) {
    this.panel.showTyping(event.message.author_kind, false);
    if (this.panel.isOpen) this.markSeen();
    else if (!known && event.seq > (this.storage.read().seenSeq || 0)) {
      this.panel.setUnread(this.panel.unread + 1);
    }
  }

  markSeen() {
    this.storage.write({ seenSeq: this.conversation.lastSeq });
  }

  setAgentsOnline(online) {
    this.agentsOnline = online;
    this.showAvailability();
  }

  // Never promise a human who is not there: while the wait for one is "offline" (nobody in
  // the team online, or closed), or nobody answers at all, the email form shows instead.
  showAvailability() {
    const waiting = this.waiting;
    const away = !this.agentsOnline || (waiting && waiting.state === 'offline');
    this.panel.setPresence(!away);
    this.panel.waiting.show(away ? null : waiting);
    this.panel.offline.explain(away ? (waiting && waiting.next_open) || this.nextOpen : null);
    this.panel.offline.show(Boolean(away));
  }

  onDisconnect(reason) {
    this.ready = false;
    // The server closed us on purpose (banned key, expired session): socket.io will not retry.
    if (reason === 'io server disconnect') {
      this.panel.setConnection('failed', 'the server closed the connection.');
    } else {
      this.panel.setConnection('reconnecting');
    }
  }

  onConnectError(err) {
    if (this.socket.active) {
      this.panel.setConnection('reconnecting');
    } else {
      // Refused by the server's connect handler (bad widget key, bad user hash).
      this.panel.setConnection('failed', (err.data && err.data.message) || err.message);
    }
  }

  send(text, attachments) {
    const entry = this.conversation.addPending({ clientId: uuid4(), text, attachments });
    this.render([entry]);
    this.connect();
    if (this.ready) this.emitMessage(entry);
  }

  retry(key) {
    const entry = this.conversation.markPending(key);
    if (!entry) return;
    this.render([entry]);
    this.panel.composer.focus();
    if (this.ready) this.emitMessage(entry);
  }

  // Resends what was never acked, with the same client ids: the server dedupes them.
  flush() {
    for (const entry of this.conversation.unacked()) {
      if (entry.sentIn !== this.sessionId) this.emitMessage(entry);
    }
  }

  async emitMessage(entry) {
    entry.sentIn = this.sessionId;
    const message = entry.message;
    const payload = {
      client_id: message.client_id,
      text: message.text,
      attachment_ids: (message.attachments || []).map((file) => file.id),
    };
    let ack;
    try {
      ack = await request(this.socket, 'message', payload, 20000);
    } catch (_err) {
      // Dropped connection: stays pending and goes again after the reconnect.
      if (this.socket.connected) this.fail(entry.key, 'no answer from the server');
      return;
    }
    if (ack && ack.ok) this.render([this.conversation.applyMessage(ack.message, ack.seq)]);
    else this.fail(entry.key, describeError(ack && ack.error));
  }

  fail(key, reason) {
    const entry = this.conversation.markFailed(key, reason);
    if (entry) this.render([entry]);
  }

  async upload(file) {
    const token = this.storage.read().visitorToken;
    if (!this.ready || !token) {
      this.connect();
      throw new Error('The chat is still connecting; please try again in a moment.');
    }
    return uploadFile(this.config.gateway, token, file);
  }

  async contact(contact) {
    if (!this.ready) throw new Error('The chat is not connected; please try again in a moment.');
    let ack;
    try {
      ack = await request(this.socket, 'contact', contact);
    } catch (_err) {
      throw new Error('The connection dropped; please try again.');
    }
    if (!ack || !ack.ok) throw new Error(describeError(ack && ack.error));
    this.storage.write({ contactSent: true, contactEmail: contact.email });
  }

  render(changed) {
    this.panel.log.render(this.conversation.ordered(), changed);
  }
}

function describeError(error) {
  if (!error) return 'Something went wrong.';
  return error.message || ERROR_WORDS[error.code] || `Something went wrong (${error.code}).`;
}
