// Shows the page's times in the reader's own time zone, in the page's language. The server
// wrote them in the page's time zone, so without JavaScript the page is complete as it is.
// Elements marked data-relative read "5 min ago" / "il y a 5 min", with the date as a tooltip.
// A maintenance window carries its end in data-end and reads as one range ("3 déc., 02:00 – 04:00 UTC−5");
// data-format wraps the time in words ("From {time}").
(() => {
  const lang = document.documentElement.lang || 'en';
  let absolute;
  let relative;
  try {
    absolute = new Intl.DateTimeFormat(lang, {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    relative = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' });
  } catch {
    return;
  }
  // Each unit applies below the next one's size: seconds under a minute, minutes under an hour…
  const units = [
    ['second', 1, 60],
    ['minute', 60, 3600],
    ['hour', 3600, 86400],
    ['day', 86400, 604800],
    ['week', 604800, Infinity],
  ];
  const ago = (date) => {
    const seconds = (date.getTime() - Date.now()) / 1000;
    const [unit, size] = units.find(([, , below]) => Math.abs(seconds) < below);
    return relative.format(Math.round(seconds / size), unit);
  };
  // formatRange says the shared date and zone once; a browser without it gets both full times.
  const range = (start, end) =>
    typeof absolute.formatRange === 'function'
      ? absolute.formatRange(start, end)
      : `${absolute.format(start)} – ${absolute.format(end)}`;
  // The footer's "Times shown in …" then names the reader's zone.
  const note = () => {
    const el = document.querySelector('[data-local-note]');
    const zone = absolute.resolvedOptions().timeZone;
    if (el && zone) el.textContent = el.getAttribute('data-local-note').replace('{zone}', zone);
  };
  const rewrite = () => {
    for (const el of document.querySelectorAll('time[datetime]')) {
      const date = new Date(el.getAttribute('datetime'));
      if (Number.isNaN(date.getTime())) continue;
      const end = el.hasAttribute('data-end') ? new Date(el.getAttribute('data-end')) : null;
      if (end && !Number.isNaN(end.getTime())) {
        el.textContent = range(date, end);
        continue;
      }
      // Two times in one element without data-end (an older page): left as written.
      if (el.textContent.includes('–')) continue;
      const text = absolute.format(date);
      const format = el.getAttribute('data-format');
      if (format) {
        el.textContent = format.replace('{time}', text);
      } else if (el.hasAttribute('data-relative')) {
        el.textContent = ago(date);
        el.title = text;
      } else {
        el.textContent = text;
      }
    }
  };
  const start = () => {
    rewrite();
    note();
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
  setInterval(rewrite, 60_000);
  // live.js swapped in new content: its times are the server's again.
  document.addEventListener('vigie:updated', rewrite);
})();
