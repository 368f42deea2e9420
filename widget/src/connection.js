/** The socket.io connection to the gateway's /widget namespace, with auth read at each connect. */

import { io } from 'socket.io-client';

export function openSocket({ gateway, auth, on }) {
  const socket = io(`${gateway}/widget`, {
    path: '/socket.io',
    // A function, so every reconnect sends the latest visitor token and last_seq.
    auth: (cb) => cb(auth()),
    reconnectionDelayMax: 10000,
  });
  for (const [event, handler] of Object.entries(on)) socket.on(event, handler);
  return socket;
}

// Emits with an ack; resolves with the ack, rejects on timeout or when the connection drops.
export function request(socket, event, payload, timeoutMs = 15000) {
  return new Promise((resolve, reject) => {
    socket.timeout(timeoutMs).emit(event, payload, (err, ack) => (err ? reject(err) : resolve(ack)));
  });
}
