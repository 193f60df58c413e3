import { describe, expect, it } from 'vitest';
import { IMPACTS, SEVERITIES } from '../../src/domain/enums.ts';
import {
  DEFAULT_SEVERITY_DEFINITIONS,
  impactOf,
  impactToSeverity,
  severityLabel,
  severityToImpact,
} from '../../src/domain/severity.ts';

describe('severityToImpact / impactToSeverity', () => {
  it('maps 1 → critical, 2 → major, 3 → minor', () => {
    expect(severityToImpact(1)).toBe('critical');
    expect(severityToImpact(2)).toBe('major');
    expect(severityToImpact(3)).toBe('minor');
  });

  it('round-trips every severity', () => {
    for (const s of SEVERITIES) expect(impactToSeverity(severityToImpact(s))).toBe(s);
  });

  it('has no severity for none and maintenance', () => {
    expect(impactToSeverity('none')).toBeNull();
    expect(impactToSeverity('maintenance')).toBeNull();
    expect(IMPACTS.filter((i) => impactToSeverity(i) === null)).toEqual(['none', 'maintenance']);
  });
});

describe('DEFAULT_SEVERITY_DEFINITIONS', () => {
  it('defines Sev 1, 2 and 3 in order, each with its impact', () => {
    expect(DEFAULT_SEVERITY_DEFINITIONS.map((d) => [d.severity, d.label, d.impact])).toEqual([
      [1, 'Sev 1', 'critical'],
      [2, 'Sev 2', 'major'],
      [3, 'Sev 3', 'minor'],
    ]);
  });

  it('agrees with severityToImpact and severityLabel', () => {
    for (const d of DEFAULT_SEVERITY_DEFINITIONS) {
      expect(d.impact).toBe(severityToImpact(d.severity));
      expect(d.label).toBe(severityLabel(d.severity));
    }
  });

  it('describes each level with a summary and examples', () => {
    for (const d of DEFAULT_SEVERITY_DEFINITIONS) {
      expect(d.summary.length).toBeGreaterThan(20);
      expect(d.examples.length).toBeGreaterThan(0);
    }
    const sev1 = DEFAULT_SEVERITY_DEFINITIONS[0];
    expect(sev1.examples.join(' ')).toMatch(/outage/i);
    expect(sev1.examples.join(' ')).toMatch(/data loss/i);
    expect(sev1.examples.join(' ')).toMatch(/security/i);
    expect(DEFAULT_SEVERITY_DEFINITIONS[2].summary).toMatch(/workaround/i);
  });
});

describe('impactOf', () => {
  it('is maintenance for a maintenance whatever its severity', () => {
    expect(impactOf({ kind: 'maintenance', severity: null })).toBe('maintenance');
    expect(impactOf({ kind: 'maintenance', severity: 1 })).toBe('maintenance');
  });

  it('follows the severity for an incident', () => {
    expect(impactOf({ kind: 'incident', severity: 1 })).toBe('critical');
    expect(impactOf({ kind: 'incident', severity: 2 })).toBe('major');
    expect(impactOf({ kind: 'incident', severity: 3 })).toBe('minor');
  });

  it('is none for an incident without severity', () => {
    expect(impactOf({ kind: 'incident', severity: null })).toBe('none');
    expect(impactOf({ kind: 'incident' })).toBe('none');
  });
});
