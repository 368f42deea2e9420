/** The review queue: approve, edit or reject the bot's held drafts and the drafts learned from
 * solved tickets; placeholders stay highlighted while the reviewer edits. */

import { api, attempt } from './api.js';

const PLACEHOLDER = /\{(email|url|phone|card_number|tracking_number|order_number|reference|amount|address|name)\}/g;

function escapeHtml(text) {
  const div = document.createElement('div');
  div.textContent = text;
  return div.innerHTML;
}

export function highlight(text) {
  return escapeHtml(text).replace(PLACEHOLDER, (m) => `<mark class="redacted">${m}</mark>`);
}

function done(card, kind) {
  card.remove();
  const count = document.querySelector(`[data-count="${kind}"]`);
  if (count) count.textContent = String(Math.max(0, Number(count.textContent) - 1));
}

async function decideLearned(card, action) {
  const field = (name) => card.querySelector(`[data-field="${name}"]`).value;
  const body = { action, text: field('text'), answer: field('answer'), label: field('label') };
  if (action === 'reject') {
    delete body.text; delete body.answer; delete body.label;
  }
  const message = { approve: 'Approved: the bot answers from it', edit: 'Saved', reject: 'Rejected' };
  const row = await attempt(
    () => api('POST', `/api/v1/review-queue/learned/${card.dataset.learned}`, body), message[action]);
  if (row === undefined) return;
  if (action === 'edit') {
    card.querySelector('[data-field="answer"]').value = row.answer;
  } else {
    done(card, 'learned');
  }
}

async function decideBot(card, action) {
  const approve = action === 'approve';
  const text = card.querySelector('[data-draft-text]').value;
  const result = await attempt(
    () => api('POST', `/api/v1/tickets/${card.dataset.botDraft}/agent/review`,
      { approve, text: approve ? text : null }),
    approve ? 'Approved: the bot sends it' : 'Draft rejected',
  );
  if (result !== undefined) done(card, 'bot');
}

export function startReview() {
  const page = document.querySelector('.review-queue');
  page.addEventListener('input', (e) => {
    const field = e.target.dataset.field;
    const card = e.target.closest('[data-learned]');
    if (!card || !field) return;
    const shown = card.querySelector(`[data-highlight-of="${field}"]`);
    if (shown) shown.innerHTML = highlight(e.target.value);
  });
  page.addEventListener('click', (e) => {
    const learned = e.target.closest('[data-learned-action]');
    if (learned) decideLearned(learned.closest('[data-learned]'), learned.dataset.learnedAction);
    const bot = e.target.closest('[data-bot-action]');
    if (bot) decideBot(bot.closest('[data-bot-draft]'), bot.dataset.botAction);
  });
}
