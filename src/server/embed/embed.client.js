// Vigie's embed: <script src="https://status.example.com/embed.js" async></script> shows a
// banner on another site while an incident is open or a maintenance runs. It reads the public
// v2 summary from the origin it was loaded from; all text goes in as text, never as HTML.
(() => {
  const me = document.currentScript;
  if (!me || !me.src) return;
  const origin = new URL(me.src).origin;
  const bottom = me.dataset.position === 'bottom';
  const KEY = 'vigie-embed-dismissed';
  const LABELS = {
    investigating: 'Investigating',
    identified: 'Identified',
    monitoring: 'Monitoring',
    in_progress: 'Maintenance in progress',
    verifying: 'Verifying maintenance',
  };
  const COLORS = { critical: '#cf222e', major: '#bc4c00', minor: '#8a5a00', maintenance: '#0969da' };
  const CSS =
    ':host{all:initial}' +
    `.b{position:fixed;left:0;right:0;${bottom ? 'bottom' : 'top'}:0;z-index:2147483647;display:flex;gap:.75em;align-items:center;` +
    'padding:.6em 1em;font:14px/1.4 system-ui,sans-serif;color:#fff;box-shadow:0 1px 4px rgba(0,0,0,.3)}' +
    '.t{flex:1;min-width:0}a{color:#fff;font-weight:600}' +
    'button{background:transparent;border:1px solid #fff;color:#fff;border-radius:4px;font:inherit;cursor:pointer;padding:0 .5em}' +
    'a:focus-visible,button:focus-visible{outline:2px solid #fff;outline-offset:2px}';

  const host = document.createElement('div');
  host.setAttribute('data-vigie-embed', '');
  const root = host.attachShadow({ mode: 'open' });
  try {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = document.createElement('style');
    style.textContent = CSS;
    root.append(style);
  }

  const dismissed = () => {
    try {
      return JSON.parse(sessionStorage.getItem(KEY) || '[]');
    } catch {
      return [];
    }
  };
  const dismiss = (id) => {
    try {
      sessionStorage.setItem(KEY, JSON.stringify([...dismissed(), id].slice(-50)));
    } catch {}
  };
  const el = (tag, text) => {
    const node = document.createElement(tag);
    if (text) node.textContent = text;
    return node;
  };

  const render = (data) => {
    const open = [
      ...(data.incidents || []).filter((i) => LABELS[i.status]),
      ...(data.scheduled_maintenances || []).filter((m) => LABELS[m.status]),
    ];
    const gone = dismissed();
    const item = open.find((i) => !gone.includes(i.id));
    for (const node of [...root.children]) if (node.tagName !== 'STYLE') node.remove();
    if (!item) {
      host.remove();
      return;
    }
    const bar = el('div');
    bar.className = 'b';
    bar.setAttribute('role', 'status');
    bar.style.background = COLORS[item.impact] || COLORS.major;
    const text = el('div');
    text.className = 't';
    text.append(el('strong', `${LABELS[item.status]}: `), el('span', `${item.name} `));
    const link = el('a', 'Details');
    link.href = `${origin}/incidents/${encodeURIComponent(item.id)}`;
    text.append(link);
    const close = el('button', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss this status message');
    close.addEventListener('click', () => {
      dismiss(item.id);
      render(data);
    });
    bar.append(text, close);
    root.append(bar);
    if (!host.isConnected) document.body.append(host);
  };

  const poll = async () => {
    try {
      const res = await fetch(`${origin}/api/v2/summary.json`, { credentials: 'omit' });
      if (res.ok) render(await res.json());
    } catch {}
    setTimeout(poll, 60000);
  };
  if (document.body) poll();
  else document.addEventListener('DOMContentLoaded', poll);
})();
