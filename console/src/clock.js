/** SLA clocks keep counting on an open page: each [data-sla][data-due] element's text and
 * colour are worked out again every half minute (the server renders the same words). */

export function duration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours >= 48) return `${Math.floor(hours / 24)} days`;
  return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
}

function tick() {
  const now = Date.now();
  for (const el of document.querySelectorAll('[data-sla][data-due]')) {
    const left = Date.parse(el.dataset.due) - now;
    const warned = el.dataset.warn && now >= Date.parse(el.dataset.warn);
    const breached = left <= 0 || el.classList.contains('sla-breached');
    el.textContent = left <= 0 ? `${duration(left)} overdue` : `${duration(left)} left`;
    el.classList.remove('sla-ok', 'sla-warn', 'sla-breached');
    el.classList.add(breached ? 'sla-breached' : warned ? 'sla-warn' : 'sla-ok');
  }
}

export function startClocks() {
  setInterval(tick, 30000);
}
