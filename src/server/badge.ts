/**
 * The status badge (`/badge.svg`): a shields-style SVG, label on the left, the status in
 * words on the right, so it reads without its colour. Pure: the route passes what to say.
 */
import type { ComponentStatus } from '../domain/enums.ts';
import { componentStatusLabel } from '../domain/status.ts';
import type { V2Component, V2Status } from './statuspage/serialize.ts';

export type BadgeTone = 'ok' | 'degraded' | 'partial' | 'major' | 'maintenance' | 'unknown';

/** Backgrounds that keep white 11 px text above 4.5:1. */
const TONE_FILL: Readonly<Record<BadgeTone, string>> = {
  ok: '#1a7f37',
  degraded: '#8a5a00',
  partial: '#bc4c00',
  major: '#cf222e',
  maintenance: '#0969da',
  unknown: '#57606a',
};
const LABEL_FILL = '#3d444d';

export type Badge = { label: string; message: string; tone: BadgeTone };

const INDICATOR_TONE: Readonly<Record<string, BadgeTone>> = {
  none: 'ok',
  minor: 'degraded',
  major: 'partial',
  critical: 'major',
  maintenance: 'maintenance',
};

const STATUS_TONE: Readonly<Record<ComponentStatus, BadgeTone>> = {
  operational: 'ok',
  degraded_performance: 'degraded',
  partial_outage: 'partial',
  major_outage: 'major',
  under_maintenance: 'maintenance',
};

/** The page's overall badge, from the v2 status. */
export function overallBadge(status: V2Status): Badge {
  return { label: 'status', message: status.description, tone: INDICATOR_TONE[status.indicator] ?? 'unknown' };
}

/** One component's badge. */
export function componentBadge(component: Pick<V2Component, 'name' | 'status'>): Badge {
  return {
    label: component.name,
    message: componentStatusLabel(component.status),
    tone: STATUS_TONE[component.status],
  };
}

/** What a badge for an unknown (or not public) component says: the same for both. */
export const UNKNOWN_BADGE: Badge = { label: 'status', message: 'unknown component', tone: 'unknown' };

/** Longest text a side shows; longer names are cut with an ellipsis. */
const MAX_CHARS = 40;

/**
 * Width in px of text at 11 px Verdana-like sans, from per-character classes: good enough
 * that text neither overflows nor floats in a wide box, without shipping a font table.
 */
export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) {
    if (/[il.,:;'|!\s]/.test(ch)) w += 3.6;
    else if (/[fjrtI()[\]-]/.test(ch)) w += 4.6;
    else if (/[mwMW@%]/.test(ch)) w += 10.4;
    else if (/[A-Z0-9]/.test(ch)) w += 7.6;
    else w += 6.9;
  }
  return Math.ceil(w);
}

function clip(text: string): string {
  const chars = [...text.replace(/\s+/g, ' ').trim()];
  return chars.length > MAX_CHARS ? `${chars.slice(0, MAX_CHARS - 1).join('')}…` : chars.join('');
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG document of a badge. */
export function renderBadge(badge: Badge): string {
  const label = clip(badge.label) || 'status';
  const message = clip(badge.message);
  const pad = 6;
  const lw = textWidth(label) + pad * 2;
  const mw = textWidth(message) + pad * 2;
  const width = lw + mw;
  const title = escapeXml(`${label}: ${message}`);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" viewBox="0 0 ${width} 20" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<clipPath id="r"><rect width="${width}" height="20" rx="3"/></clipPath>` +
    `<g clip-path="url(#r)"><rect width="${lw}" height="20" fill="${LABEL_FILL}"/>` +
    `<rect x="${lw}" width="${mw}" height="20" fill="${TONE_FILL[badge.tone]}"/></g>` +
    `<g fill="#fff" font-family="Verdana,DejaVu Sans,Geneva,sans-serif" font-size="11" text-anchor="middle">` +
    `<text x="${lw / 2}" y="14">${escapeXml(label)}</text>` +
    `<text x="${lw + mw / 2}" y="14">${escapeXml(message)}</text></g></svg>`
  );
}
