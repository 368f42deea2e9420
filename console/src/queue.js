/** The queue page: live rows over the socket, selection and bulk actions, quick filters. */

import { api, attempt, debounce, html } from './api.js';

const TICKET_EVENT = /^(ticket|message|note|agent)\./;

export function startQueue(socket) {
  const rows = document.querySelector('[data-rows]');
  const bulk = document.querySelector('[data-bulk]');
  const filters = document.querySelector('[data-filters]');
  const selectAll = document.querySelector('[data-select-all]');

  for (const select of filters.querySelectorAll('select')) {
    select.addEventListener('change', () => filters.requestSubmit());
  }

  const boxes = () => [...rows.querySelectorAll('input[data-select]')];
  const selected = () => boxes().filter((box) => box.checked).map((box) => Number(box.value));
  const showBulk = () => {
    const count = selected().length;
    bulk.hidden = count === 0;
    bulk.querySelector('[data-bulk-count]').textContent = `${count} selected`;
    selectAll.checked = count > 0 && count === boxes().length;
  };
  rows.addEventListener('change', (e) => { if (e.target.matches('[data-select]')) showBulk(); });
  selectAll.addEventListener('change', () => {
    for (const box of boxes()) box.checked = selectAll.checked;
    showBulk();
  });

  // Re-render the first page with the same filters; keep the selection, flash new rows.
  const refresh = debounce(async () => {
    const keep = new Set(selected());
    const before = new Set([...rows.querySelectorAll('tr[data-ticket-id]')].map((r) => r.dataset.ticketId));
    const fresh = await html(rows.dataset.rowsUrl).catch(() => null);
    if (fresh === null) return;
    rows.innerHTML = fresh;
    for (const row of rows.querySelectorAll('tr[data-ticket-id]')) {
      const id = row.dataset.ticketId;
      if (keep.has(Number(id))) row.querySelector('[data-select]').checked = true;
      if (before.size && !before.has(id)) row.classList.add('fresh');
    }
    showBulk();
  }, 250);

  socket.on('event', (event) => {
    if (event && event.ticket_id && TICKET_EVENT.test(event.type || '')) refresh();
  });
  let connectedOnce = false;
  socket.on('connect', () => { // after a reconnect, catch up on what we missed
    if (connectedOnce) refresh();
    connectedOnce = true;
  });

  rows.addEventListener('click', async (e) => {
    const more = e.target.closest('[data-more]');
    if (!more) return;
    more.disabled = true;
    const next = await attempt(() => html(more.dataset.more));
    if (next === undefined) { more.disabled = false; return; }
    more.closest('tr').remove();
    rows.insertAdjacentHTML('beforeend', next);
  });

  async function update(changes, what) {
    const ids = selected();
    if (!ids.length) return;
    const plural = ids.length === 1 ? 'ticket' : 'tickets';
    const done = await attempt(
      () => api('POST', '/api/v1/tickets/bulk', { ids, changes }),
      `${what} on ${ids.length} ${plural}`,
    );
    if (done) refresh();
  }

  for (const select of bulk.querySelectorAll('[data-bulk-field]')) {
    select.addEventListener('change', async () => {
      if (!select.value) return;
      const field = select.dataset.bulkField;
      let value = select.value === 'null' ? null : select.value;
      if (field === 'assignee_id' && value !== null) value = Number(value);
      const label = select.selectedOptions[0].textContent.trim();
      await update({ [field]: value }, `${field.replace('_id', '')} set to ${label}`);
      select.value = '';
    });
  }
  const tagInput = bulk.querySelector('[data-bulk-tag]');
  const addTag = async () => {
    const tag = tagInput.value.trim();
    if (!tag) return;
    await update({ add_tags: [tag] }, `Tag "${tag}" added`);
    tagInput.value = '';
  };
  bulk.querySelector('[data-bulk-tag-add]').addEventListener('click', addTag);
  tagInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addTag(); } });
}
