/** The assignment admin page: the settings form (admin.js), and every agent's presence
 * kept current from the socket's `user.presence_changed` events. */

import { startAdmin } from './admin.js';

export function startAdminAssignment(socket) {
  startAdmin();
  socket.on('event', (event) => {
    if (!event || event.type !== 'user.presence_changed') return;
    const { user_id: userId, presence } = event.payload || {};
    const cell = document.querySelector(`tr[data-user-id="${userId}"] [data-presence]`);
    if (!cell) return;
    cell.textContent = presence;
    cell.className = `presence presence-${presence}`;
  });
}
