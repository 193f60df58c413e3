import { describe, expect, it } from 'vitest';
import { componentBadge, overallBadge, renderBadge, textWidth } from '../../src/server/badge.ts';

describe('renderBadge', () => {
  it('escapes names people wrote', () => {
    const svg = renderBadge({ label: '<script>alert(1)</script> & "x"', message: 'Operational', tone: 'ok' });
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&#60;script&#62;alert(1)&#60;/script&#62; &#38; &#34;x&#34;');
  });

  it('sizes each side to its text, and cuts very long names', () => {
    const short = renderBadge({ label: 'API', message: 'Operational', tone: 'ok' });
    const long = renderBadge({ label: 'A much longer component name', message: 'Operational', tone: 'ok' });
    const width = (svg: string) => Number(/width="(\d+)"/.exec(svg)![1]);
    expect(width(long)).toBeGreaterThan(width(short));
    const huge = renderBadge({ label: 'x'.repeat(500), message: 'Operational', tone: 'ok' });
    expect(huge).toContain('…');
    expect(width(huge)).toBeLessThan(400);
  });

  it('says the status in words for every state, with its own colour', () => {
    const statuses = [
      'operational',
      'degraded_performance',
      'partial_outage',
      'major_outage',
      'under_maintenance',
    ] as const;
    const svgs = statuses.map((status) => renderBadge(componentBadge({ name: 'API', status })));
    expect(svgs[0]).toContain('<title>API: Operational</title>');
    expect(svgs[3]).toContain('<title>API: Major outage</title>');
    const fills = svgs.map((svg) => [...svg.matchAll(/fill="(#[0-9a-f]{6})"/g)].map((m) => m[1])[1]);
    expect(new Set(fills).size).toBe(statuses.length);
    expect(overallBadge({ indicator: 'none', description: 'All Systems Operational' }).tone).toBe('ok');
  });

  it('measures wide letters wider than narrow ones', () => {
    expect(textWidth('mmmm')).toBeGreaterThan(textWidth('iiii'));
  });
});

describe('faviconSvg', () => {
  it('draws a different shape for each overall status', async () => {
    const { faviconSvg } = await import('../../src/server/favicon.ts');
    const svgs = ['none', 'minor', 'major', 'critical', 'maintenance'].map(faviconSvg);
    expect(new Set(svgs).size).toBe(5);
    const shapes = svgs.map((svg) => /<g fill="#[0-9a-f]{6}">(<\w+)/.exec(svg)![1]);
    expect(shapes).toEqual(['<circle', '<circle', '<path', '<path', '<rect']);
    expect(faviconSvg('unheard-of')).toBe(svgs[0]);
  });
});
