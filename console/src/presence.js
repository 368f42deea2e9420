/** Who else has this ticket open, and who is replying: announced over the /console socket.

The server adds the user to each `presence` it relays; a `hello` (someone just opened the
ticket) is answered with our own state, so a newcomer learns who is already there. Entries
expire unless re-announced, which covers a colleague whose connection died silently.
*/

const ANNOUNCE_MS = 25000;
const EXPIRE_MS = 60000;

export function startPresence(socket, ticketId, box) {
  const me = Number(document.querySelector('meta[name="user-id"]').content);
  const others = new Map(); // user_id -> { name, state, seen }
  let state = 'viewing';

  const announce = () => socket.emit('presence', { ticket_id: ticketId, state });
  const render = () => {
    const now = Date.now();
    for (const [id, other] of others) if (now - other.seen > EXPIRE_MS) others.delete(id);
    const lines = [...others.values()].map((o) => (o.state === 'replying'
      ? `${o.name} is replying…` : `${o.name} is viewing this ticket`));
    box.textContent = lines.join(' · ');
    box.hidden = lines.length === 0;
  };

  socket.on('presence', (p) => {
    if (!p || p.ticket_id !== ticketId || p.user_id === me) return;
    if (p.state === 'left') others.delete(p.user_id);
    else others.set(p.user_id, { name: p.name, state: p.state, seen: Date.now() });
    if (p.hello) announce();
    render();
  });
  setInterval(() => { announce(); render(); }, ANNOUNCE_MS);

  return {
    set(next) {
      if (next === state) return;
      state = next;
      announce();
    },
  };
}
