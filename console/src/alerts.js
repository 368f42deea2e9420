/** Alerts: a ticket assigned to me, or waiting unassigned for my team (the socket's `alert`).
 *
 * Each shows as a count on the header's bell (unseen ones, kept for the browser tab's session
 * so page loads keep it), a toast while the page is in view, a desktop notification while it
 * is hidden (permission is asked from the panel's button: browsers want a click for that), and
 * optionally a short tone (the agent's choice, kept in localStorage).
 */

import { toast } from './api.js';

const STORE = 'autocrm.alerts';
const SOUND = 'autocrm.alertSound';
const KEEP = 50;

const load = () => {
  try { return JSON.parse(sessionStorage.getItem(STORE)) || []; } catch { return []; }
};

export function describeAlert(alert) {
  const title = alert.kind === 'assigned'
    ? `Ticket #${alert.ticket_id} is yours` : `Ticket #${alert.ticket_id} needs a human`;
  return { title, body: alert.reason || '' };
}

function tone() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  const osc = ctx.createOscillator();
  const gain = ctx.createGain();
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.35);
  osc.connect(gain).connect(ctx.destination);
  osc.start();
  osc.stop(ctx.currentTime + 0.35);
  osc.onended = () => ctx.close();
}

export function startAlerts(socket) {
  const bell = document.querySelector('[data-alerts]');
  if (!bell) return;
  const count = bell.querySelector('[data-alert-count]');
  const panel = document.querySelector('[data-alert-panel]');
  const list = panel.querySelector('[data-alert-list]');
  const sound = panel.querySelector('[data-alert-sound]');
  const ask = panel.querySelector('[data-alert-permission]');
  let alerts = load(); // newest first: {event_id, ticket_id, kind, reason, at, seen}

  const save = () => sessionStorage.setItem(STORE, JSON.stringify(alerts.slice(0, KEEP)));
  const render = () => {
    const unseen = alerts.filter((a) => !a.seen).length;
    count.textContent = String(unseen);
    count.hidden = unseen === 0;
    bell.setAttribute('aria-label', unseen ? `Alerts: ${unseen} unseen` : 'Alerts');
    list.replaceChildren(...alerts.slice(0, 20).map((a) => {
      const item = document.createElement('li');
      item.className = a.seen ? 'seen' : 'unseen';
      const link = document.createElement('a');
      link.href = `/console/tickets/${a.ticket_id}`;
      const { title, body } = describeAlert(a);
      link.textContent = title;
      const why = document.createElement('span');
      why.className = 'muted';
      why.textContent = body;
      item.append(link, why);
      return item;
    }));
    if (!alerts.length) list.innerHTML = '<li class="muted">Nothing yet.</li>';
    const canAsk = 'Notification' in window && Notification.permission === 'default';
    ask.hidden = !canAsk;
  };

  // Opening a ticket sees its alerts.
  const here = Number(document.body.dataset.ticketId || 0);
  if (here) for (const a of alerts) if (a.ticket_id === here) a.seen = true;
  save();
  render();

  sound.checked = localStorage.getItem(SOUND) === 'on';
  sound.addEventListener('change', () => localStorage.setItem(SOUND, sound.checked ? 'on' : 'off'));
  ask.addEventListener('click', async () => {
    await Notification.requestPermission();
    render();
  });
  bell.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    bell.setAttribute('aria-expanded', String(!panel.hidden));
    if (panel.hidden) { render(); return; }
    render(); // the list still marks what was new
    for (const a of alerts) a.seen = true; // opening the panel sees them
    save();
    count.textContent = '0';
    count.hidden = true;
    bell.setAttribute('aria-label', 'Alerts');
  });

  socket.on('alert', (alert) => {
    if (!alert || alerts.some((a) => a.event_id === alert.event_id)) return; // at least once
    const seen = alert.ticket_id === here && !document.hidden;
    alerts.unshift({ ...alert, seen });
    save();
    render();
    const { title, body } = describeAlert(alert);
    if (sound.checked) tone();
    if (document.hidden && 'Notification' in window && Notification.permission === 'granted') {
      const note = new Notification(title, { body, tag: `ticket-${alert.ticket_id}` });
      note.onclick = () => {
        window.focus();
        window.location.assign(`/console/tickets/${alert.ticket_id}`);
      };
    } else {
      toast(`${title}: ${body}`);
    }
  });
}
