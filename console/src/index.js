/** The console's script: one bundle; <body data-page> names the page module to start. */

import { startAdmin } from './admin.js';
import { startAdminAssignment } from './admin_assignment.js';
import { startAlerts } from './alerts.js';
import { startClocks } from './clock.js';
import { connect } from './live.js';
import { startQueue } from './queue.js';
import { startReview } from './review.js';
import { startStatus } from './status.js';
import { startTicket } from './ticket.js';

// Admin pages: add a module and a line here (e.g. `admin_rules: startAdminRules`).
const PAGES = { queue: startQueue, ticket: startTicket, admin_assignment: startAdminAssignment };
PAGES.review = startReview; // the review queue: held bot drafts and learned examples
const ADMIN = ['rules', 'channels', 'staff', 'kb', 'bot', 'keys', 'webhooks', 'config', 'sla', 'hours'];
for (const name of ADMIN) {
  PAGES[`admin_${name}`] = startAdmin; // every admin page: data-api forms and data-call buttons
}

function boot() {
  const page = document.body.dataset.page;
  if (!document.querySelector('meta[name="user-id"]')) return; // signed out: no feed
  const socket = connect();
  window.autocrm = { socket }; // for debugging and tests
  startStatus(socket);
  startAlerts(socket);
  startClocks();
  const start = PAGES[page];
  if (start) start(socket);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
