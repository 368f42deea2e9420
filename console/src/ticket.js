/** The ticket page: live timeline, composer (reply or note), properties, bot brief, typing. */

import { api, attempt, debounce, html, toast } from './api.js';
import { startPresence } from './presence.js';

const LIVE_EVENT = /^(ticket|message|note|agent)\./;
const RICH = /<(b|strong|i|em|u|ul|ol|li|a|blockquote)[\s>]/i;

export function startTicket(socket) {
  const ticketId = Number(document.body.dataset.ticketId);
  const me = Number(document.querySelector('meta[name="user-id"]').content);
  const part = (name) => document.querySelector(`[data-part="${name}"]`);
  const presence = startPresence(socket, ticketId, document.querySelector('[data-presence]'));
  const related = () => new Set([...document.querySelectorAll('.related a')]
    .map((a) => Number(a.getAttribute('href').split('/').pop())));

  const join = () => socket.emit('join', { ticket_id: ticketId });
  socket.on('connect', join);
  if (socket.connected) join();
  window.scrollTo(0, document.body.scrollHeight);

  const refresh = debounce(async () => {
    const parts = await html(`/console/tickets/${ticketId}/live`).catch(() => null);
    if (!parts) return;
    const atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 80;
    part('timeline').innerHTML = parts.timeline;
    part('brief').innerHTML = parts.brief;
    const props = part('properties');
    if (!props.contains(document.activeElement)) props.innerHTML = parts.properties;
    if (atBottom) window.scrollTo(0, document.body.scrollHeight);
  }, 150);

  const typingLine = document.querySelector('[data-customer-typing]');
  let typingTimer;
  const customerTyping = (on) => {
    typingLine.hidden = !on;
    clearTimeout(typingTimer);
    if (on) typingTimer = setTimeout(() => { typingLine.hidden = true; }, 8000);
  };

  socket.on('event', (event) => {
    if (!event || !related().has(event.ticket_id)) return;
    if (event.type === 'typing') {
      if (event.author_kind === 'customer' && event.ticket_id === ticketId) customerTyping(event.typing);
      return;
    }
    if (event.type === 'message.received') customerTyping(false);
    if (LIVE_EVENT.test(event.type || '')) refresh();
  });

  const composer = startComposer(socket, ticketId, presence, refresh);
  startProperties(ticketId, me, part('properties'), refresh);
  startBrief(ticketId, part('brief'), composer, refresh);
}

function startComposer(socket, ticketId, presence, refresh) {
  const form = document.querySelector('[data-composer]');
  const editor = form.querySelector('[data-editor]');
  const send = form.querySelector('[data-send]');
  let mode = 'reply';
  let typing = false;
  let idle;

  const setTyping = (on) => {
    if (mode === 'reply' && on !== typing) socket.emit('typing', { ticket_id: ticketId, typing: on });
    typing = mode === 'reply' && on;
    presence.set(on ? 'replying' : 'viewing');
  };
  editor.addEventListener('input', () => {
    setTyping(editor.textContent.trim() !== '');
    clearTimeout(idle);
    idle = setTimeout(() => setTyping(false), 4000);
  });

  const setMode = (next) => {
    if (typing) setTyping(false);
    mode = next;
    form.dataset.mode = next;
    for (const tab of form.querySelectorAll('[data-mode-tab]')) {
      tab.setAttribute('aria-selected', String(tab.dataset.modeTab === next));
    }
    send.textContent = next === 'note' ? 'Add note' : 'Send reply';
    editor.setAttribute('aria-label', next === 'note' ? 'Internal note' : 'Reply');
    editor.focus();
  };
  for (const tab of form.querySelectorAll('[data-mode-tab]')) {
    tab.addEventListener('click', () => setMode(tab.dataset.modeTab));
  }

  const toolbar = form.querySelector('[data-toolbar]');
  toolbar.addEventListener('mousedown', (e) => e.preventDefault()); // keep the selection
  toolbar.addEventListener('click', (e) => {
    const button = e.target.closest('[data-cmd]');
    if (!button) return;
    let arg = button.dataset.arg || null;
    if (button.dataset.cmd === 'createLink') {
      arg = window.prompt('Link address (https://…)');
      if (!arg) return;
    }
    document.execCommand(button.dataset.cmd, false, arg);
    editor.focus();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = editor.innerText.trim();
    if (!body) return;
    send.disabled = true;
    const path = `/api/v1/tickets/${ticketId}/${mode === 'note' ? 'notes' : 'messages'}`;
    const payload = { body };
    if (mode === 'reply' && RICH.test(editor.innerHTML)) payload.html = editor.innerHTML;
    const done = await attempt(() => api('POST', path, payload), mode === 'note' ? 'Note added' : 'Reply sent');
    send.disabled = false;
    if (done === undefined) return;
    editor.innerHTML = '';
    setTyping(false);
    refresh();
  });
  editor.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });

  const macro = form.querySelector('[data-macro]');
  const apply = form.querySelector('[data-macro-apply]');
  if (macro) {
    macro.addEventListener('change', () => {
      const option = macro.selectedOptions[0];
      apply.hidden = !macro.value;
      if (macro.value && option.dataset.body) {
        setMode('reply');
        editor.innerText = option.dataset.body;
      }
    });
    apply.addEventListener('click', async () => {
      const done = await attempt(
        () => api('POST', `/api/v1/tickets/${ticketId}/macros/${macro.value}`),
        'Macro applied',
      );
      if (done === undefined) return;
      editor.innerHTML = '';
      macro.value = '';
      apply.hidden = true;
      refresh();
    });
  }

  return {
    write(text) {
      setMode('reply');
      editor.innerText = text;
      editor.dispatchEvent(new Event('input'));
    },
  };
}

function startProperties(ticketId, me, box, refresh) {
  const patch = async (changes) => {
    const done = await attempt(() => api('PATCH', `/api/v1/tickets/${ticketId}`, changes), 'Saved');
    if (done !== undefined) refresh();
  };
  const asId = (value) => (value === '' ? null : Number(value));

  box.addEventListener('change', (e) => {
    const el = e.target;
    if (el.dataset.prop) {
      const value = el.dataset.prop.endsWith('_id') ? asId(el.value) : el.value;
      patch({ [el.dataset.prop]: value });
    } else if (el.matches('[data-tags]')) {
      patch({ tags: el.value.split(',').map((t) => t.trim()).filter(Boolean) });
    } else if (el.dataset.field) {
      let value = el.type === 'checkbox' ? el.checked : el.value;
      if (el.dataset.type === 'number' && value !== '') value = Number(value);
      patch({ custom_fields: { [el.dataset.field]: value === '' ? null : value } });
    }
  });
  box.addEventListener('click', async (e) => {
    if (e.target.closest('[data-claim]')) patch({ assignee_id: me });
    if (e.target.closest('[data-handback]')) {
      const done = await attempt(
        () => api('POST', `/api/v1/tickets/${ticketId}/agent/handback`), 'The bot answers again');
      if (done !== undefined) refresh();
    }
  });
}

function startBrief(ticketId, box, composer, refresh) {
  box.addEventListener('click', async (e) => {
    const use = e.target.closest('[data-use-text]');
    if (use) {
      const suggested = use.parentElement.querySelector('[data-suggested]');
      composer.write(suggested.dataset.text || suggested.textContent); // plain text, not the HTML
      toast('Suggested reply is in the composer: edit, then send');
      return;
    }
    const review = e.target.closest('[data-draft-review]');
    if (!review) return;
    const approve = review.dataset.draftReview === 'approve';
    const text = box.querySelector('[data-draft-text]')?.value;
    const done = await attempt(
      () => api('POST', `/api/v1/tickets/${ticketId}/agent/review`, { approve, text: approve ? text : null }),
      approve ? 'Approved: the bot sends it' : 'Draft rejected',
    );
    if (done !== undefined) refresh();
  });
}
