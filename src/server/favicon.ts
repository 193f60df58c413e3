/**
 * The favicon follows the overall status (`/favicon.svg`, in the snapshot like the page), so
 * a tab left open shows trouble: the same shapes as the page's status icons (a circled check,
 * a circled minus, a triangle, an octagon with a cross, a rounded square with a wrench), not
 * colour alone.
 */
const SHAPES: Readonly<Record<string, { fill: string; shape: string; mark: string }>> = {
  none: {
    fill: '#1a7f37',
    shape: '<circle cx="10" cy="10" r="9.5"/>',
    mark: '<path d="M5.8 10.4l2.7 2.7 5.7-5.9"/>',
  },
  minor: { fill: '#9a6700', shape: '<circle cx="10" cy="10" r="9.5"/>', mark: '<path d="M5.8 10h8.4"/>' },
  major: {
    fill: '#bc4c00',
    shape: '<path d="M8.27 1.5a2 2 0 0 1 3.46 0l7.9 13.8a2 2 0 0 1-1.73 3H2.1a2 2 0 0 1-1.73-3z"/>',
    mark: '<path d="M10 7v4.6M10 15v.1"/>',
  },
  critical: {
    fill: '#cf222e',
    shape: '<path d="M6.1.5h7.8l5.6 5.6v7.8l-5.6 5.6H6.1L.5 13.9V6.1z"/>',
    mark: '<path d="M7 7l6 6M13 7l-6 6"/>',
  },
  maintenance: {
    fill: '#0969da',
    shape: '<rect x=".5" y=".5" width="19" height="19" rx="4.5"/>',
    mark: '<path d="M11.9 5.2a3.1 3.1 0 0 0-3.6 4.2l-3.1 3.1a1 1 0 0 0 0 1.4l.9.9a1 1 0 0 0 1.4 0l3.1-3.1a3.1 3.1 0 0 0 4.2-3.6l-1.9 1.9-2-.1-.1-2z" stroke-width="1.6"/>',
  },
};

/** The favicon SVG for a v2 status indicator (`none`, `minor`, `major`, `critical`, `maintenance`). */
export function faviconSvg(indicator: string): string {
  const s = SHAPES[indicator] ?? SHAPES.none;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20"><g fill="${s.fill}">${s.shape}</g>` +
    `<g fill="none" stroke="#fff" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round">${s.mark}</g></svg>`
  );
}
