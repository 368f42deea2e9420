/** The signed-in agent's own presence (online | away | offline): the header toggle, the
 * heartbeat that keeps them present, and idle detection.
 *
 * The server decides (gateway/presence.py): `presence_self` on connect gives the state and the
 * timings; a `heartbeat` {active} every `heartbeat_every` seconds keeps the agent present,
 * `active` saying someone used the console since the last beat; the server's sweep makes an
 * agent idle past `idle_away_seconds` away (a `user.presence_changed` event, reason "idle").
 * Input after such an automatic away sets the agent online again; an away they chose stays.
 */

const INPUT = ['pointerdown', 'keydown', 'wheel', 'touchstart', 'mousemove'];
const LABELS = { online: 'Online', away: 'Away', offline: 'Offline' };

export function startStatus(socket) {
  const me = Number(document.querySelector('meta[name="user-id"]').content);
  const toggle = document.querySelector('[data-presence-toggle]');
  if (!toggle) return;
  let state = toggle.value;
  let autoAway = false; // away because idle, not by choice
  let used = false; // input since the last heartbeat
  let beat;

  const show = (next, why = '') => {
    state = next;
    toggle.value = next;
    toggle.closest('[data-presence-box]').dataset.state = next;
    toggle.title = `You are ${LABELS[next].toLowerCase()}${why ? ` (${why})` : ''}`;
  };
  const choose = (next) => {
    autoAway = false;
    socket.emit('presence_set', { state: next }, (ack) => {
      if (ack && ack.ok) show(ack.presence);
    });
  };
  const heartbeat = () => {
    const active = used;
    used = false;
    socket.emit('heartbeat', { active }, (ack) => {
      if (ack && ack.ok && ack.presence !== state) show(ack.presence);
    });
  };

  socket.on('presence_self', (self) => {
    show(self.presence);
    clearInterval(beat);
    beat = setInterval(heartbeat, Math.max(5, self.heartbeat_every) * 1000);
  });
  socket.on('event', (event) => {
    if (!event || event.type !== 'user.presence_changed') return;
    const change = event.payload || {};
    if (change.user_id !== me) return;
    autoAway = change.presence === 'away' && change.reason === 'idle';
    show(change.presence, autoAway ? 'idle' : change.reason);
  });
  socket.on('disconnect', () => clearInterval(beat));

  toggle.addEventListener('change', () => choose(toggle.value));
  const onInput = () => {
    used = true;
    if (autoAway && state === 'away') choose('online');
  };
  for (const name of INPUT) window.addEventListener(name, onInput, { passive: true, capture: true });
}
