/** The /console socket.io feed: committed events, typing and presence, with the session cookie. */

import { io } from 'socket.io-client';

export function connect() {
  const socket = io('/console', { path: '/socket.io', withCredentials: true });
  const dot = document.querySelector('[data-live]');
  const mark = (on) => {
    if (!dot) return;
    dot.classList.toggle('on', on);
    dot.title = on ? 'Live updates: connected' : 'Live updates: reconnecting…';
  };
  socket.on('connect', () => mark(true));
  socket.on('disconnect', () => mark(false));
  socket.on('connect_error', () => mark(false));
  return socket;
}
