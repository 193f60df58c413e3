// Progressive enhancement for the public status page: keeps an open tab current without a
// manual reload. Every 15 s while the tab is visible (and at once when it becomes visible
// again), it asks /api/v2/summary.json whether anything changed, with If-None-Match, so an
// unchanged page costs a 304 from the in-memory snapshot. When it changed, it fetches the
// page again and swaps the main content, then says so politely to screen readers. It never
// moves focus or the scroll position: while focus is inside the content, the swap waits.
// Without JavaScript the page is the same, only static.
// The interval can be shortened (not below 1 s) with the page's ?live-interval=<seconds>,
// which the browser tests use; the page with a query string is rendered fresh by the app.
(() => {
  if (window.vigieLive) return;
  window.vigieLive = true;
  const region = document.querySelector('#main > .wrap');
  if (!region || !window.fetch || !window.DOMParser) return;

  const DEFAULT_SECONDS = 15;
  const asked = Number(new URLSearchParams(location.search).get('live-interval'));
  const interval = (Number.isFinite(asked) && asked >= 1 ? asked : DEFAULT_SECONDS) * 1000;

  // The page's language (src/i18n): the one sentence this script writes.
  const UPDATED_TEXT = document.documentElement.lang.startsWith('fr')
    ? 'La page d’état a été mise à jour.'
    : 'The status page has been updated.';
  const announcer = document.createElement('div');
  announcer.className = 'sr-only';
  announcer.setAttribute('role', 'status');
  announcer.setAttribute('aria-live', 'polite');
  document.body.append(announcer);

  let etag = null;
  let timer = null;
  let busy = false;
  // The page was rendered before the first look at the summary: the first answer is the baseline.
  let pending = false;

  function schedule() {
    clearTimeout(timer);
    timer = document.visibilityState === 'hidden' ? null : setTimeout(check, interval);
  }

  async function check() {
    if (busy) return;
    busy = true;
    try {
      const res = await fetch('/api/v2/summary.json', {
        cache: 'no-store',
        headers: etag ? { 'if-none-match': etag } : {},
      });
      if (res.status === 200) {
        if (etag !== null) pending = true;
        etag = res.headers.get('etag');
        await res.body?.cancel();
      }
      if (pending) await refresh();
    } catch {
      // Offline or the server restarting: try again at the next tick.
    } finally {
      busy = false;
      schedule();
    }
  }

  async function refresh() {
    const active = document.activeElement;
    // Replacing the content under the person's focus would lose it: wait until it leaves.
    if (active && active !== region && region.contains(active)) return;
    const res = await fetch(location.pathname, { cache: 'no-store', headers: { accept: 'text/html' } });
    if (!res.ok) return;
    const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
    const fresh = doc.querySelector('#main > .wrap');
    if (!fresh) return;
    pending = false;
    if (fresh.innerHTML === region.innerHTML) return;
    const { scrollX, scrollY } = window;
    region.replaceChildren(...document.adoptNode(fresh).childNodes);
    window.scrollTo(scrollX, scrollY);
    document.title = doc.title;
    announcer.textContent = '';
    // A fresh text node in the live region is what screen readers pick up.
    setTimeout(() => (announcer.textContent = UPDATED_TEXT), 100);
    document.dispatchEvent(new CustomEvent('vigie:updated'));
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      clearTimeout(timer);
      timer = null;
    } else check();
  });
  check();
})();
