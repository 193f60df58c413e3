import { describe, expect, it } from 'vitest';
import { contrastRatio, readableShade } from '../../src/domain/color.ts';

describe('contrastRatio', () => {
  it('follows WCAG: black on white is 21, a colour on itself is 1', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#FFFFFF', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#0550ae', '#0550ae')).toBe(1);
    // GitHub's link blue on white, a known 7.6:1.
    expect(contrastRatio('#0550ae', '#ffffff')).toBeCloseTo(7.6, 1);
  });

  it('refuses anything but #rrggbb', () => {
    expect(() => contrastRatio('red', '#ffffff')).toThrow(/#rrggbb/);
  });
});

describe('readableShade', () => {
  it('keeps a colour that is readable already', () => {
    expect(readableShade('#0550AE', '#ffffff')).toBe('#0550ae');
  });

  it('darkens a light accent on a light background and lightens a dark one on a dark background', () => {
    const yellow = readableShade('#ffd400', '#f6f8fa');
    expect(contrastRatio(yellow, '#f6f8fa')).toBeGreaterThanOrEqual(4.5);
    expect(yellow).not.toBe('#ffd400');
    const navy = readableShade('#1a237e', '#151b23');
    expect(contrastRatio(navy, '#151b23')).toBeGreaterThanOrEqual(4.5);
    // Lighter than it was: each channel moved towards white.
    expect(parseInt(navy.slice(1, 3), 16)).toBeGreaterThan(0x1a);
  });
});
