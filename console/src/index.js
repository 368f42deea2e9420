/** The console's script: one bundle; <body data-page> names the page module to start. */

import { startAdmin } from './admin.js';
import { connect } from './live.js';
import { startQueue } from './queue.js';
import { startTicket } from './ticket.js';

// Admin pages: add a module and a line here (e.g. `admin_rules: startAdminRules`).
const PAGES = { queue: startQueue, ticket: startTicket };
for (const name of ['rules', 'channels', 'staff', 'kb', 'bot', 'keys', 'webhooks', 'config']) {
  PAGES[`admin_${name}`] = startAdmin; // every admin page: data-api forms and data-call buttons
}

function boot() {
  const page = document.body.dataset.page;
  if (!document.querySelector('meta[name="user-id"]')) return; // signed out: no feed
  const socket = connect();
  window.autocrm = { socket }; // for debugging and tests
  const start = PAGES[page];
  if (start) start(socket);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
