import { describe, expect, it } from 'vitest';
import { DEFAULT_SEVERITY_DEFINITIONS } from '../../src/domain/severity.ts';
import { defaultSeverityTexts, isDefaultSeverityTexts } from '../../src/i18n/severity.ts';
import { severityDefinitionsOf } from '../../src/server/settings/service.ts';

describe('default severity definitions per language', () => {
  it('has English from the domain scale and a complete French text for each severity', () => {
    const en = defaultSeverityTexts('en');
    const fr = defaultSeverityTexts('fr');
    for (const d of DEFAULT_SEVERITY_DEFINITIONS) {
      const key = String(d.severity) as '1' | '2' | '3';
      expect(en[key]).toEqual({ label: d.label, description: d.summary, examples: d.examples, response: d.response });
      expect(fr[key].examples).toHaveLength(d.examples.length);
      for (const field of ['label', 'description', 'response'] as const) {
        expect(fr[key][field].trim(), `${key}.${field}`).not.toBe('');
        expect(fr[key][field], `${key}.${field}`).not.toBe(en[key][field]);
      }
    }
  });

  it('recognises the defaults of either language, and nothing an admin changed', () => {
    expect(isDefaultSeverityTexts(defaultSeverityTexts('en'))).toBe(true);
    expect(isDefaultSeverityTexts(defaultSeverityTexts('fr'))).toBe(true);
    const changed = defaultSeverityTexts('fr');
    changed[2].response = 'Appeler Camille';
    expect(isDefaultSeverityTexts(changed)).toBe(false);
  });

  it('shows defaults in the reader’s language, and an admin’s own words as written', () => {
    expect(severityDefinitionsOf({ severityDefinitions: null }, 'fr')[1].label).toBe('Sév. 1');
    expect(severityDefinitionsOf({ severityDefinitions: null })[1].label).toBe('Sev 1');
    const own = { ...defaultSeverityTexts('en'), 1: { ...defaultSeverityTexts('en')[1], label: 'P0' } };
    expect(severityDefinitionsOf({ severityDefinitions: own }, 'fr')[1].label).toBe('P0');
  });

  it('returns copies: changing one does not change the defaults', () => {
    defaultSeverityTexts('fr')[1].examples.push('x');
    expect(defaultSeverityTexts('fr')[1].examples).toHaveLength(3);
  });
});
