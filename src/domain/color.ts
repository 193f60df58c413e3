/**
 * Colour contrast (WCAG 2.2 relative luminance), for the admin's accent colour: links and
 * buttons must stay readable whatever colour the brand picked, in light and dark mode.
 */

/** `#rrggbb`, the only form the accent is stored in. */
export const HEX_COLOR = /^#[0-9a-f]{6}$/i;

type Rgb = [number, number, number];

function parseHex(hex: string): Rgb {
  if (!HEX_COLOR.test(hex)) throw new Error(`Not a #rrggbb colour: ${hex}`);
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as Rgb;
}

function toHex(rgb: Rgb): string {
  return '#' + rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

function luminance(rgb: Rgb): number {
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two `#rrggbb` colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [luminance(parseHex(a)), luminance(parseHex(b))].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/**
 * `color` itself when it reaches `min` contrast on `background`, else the closest shade of
 * it that does: mixed towards black on a light background, towards white on a dark one.
 */
export function readableShade(color: string, background: string, min = 4.5): string {
  if (contrastRatio(color, background) >= min) return color.toLowerCase();
  const rgb = parseHex(color);
  const target = luminance(parseHex(background)) > 0.18 ? 0 : 255;
  for (let step = 1; step <= 20; step++) {
    const t = step / 20;
    const shade = toHex(rgb.map((c) => c + (target - c) * t) as Rgb);
    if (contrastRatio(shade, background) >= min) return shade;
  }
  return target === 0 ? '#000000' : '#ffffff';
}
