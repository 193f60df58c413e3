/**
 * src/i18n/problems.ts: the services' English messages (also the management API's) shown in
 * the admin in the reader's language, looked up by their English text.
 */
import { describe, expect, it } from 'vitest';
import { en } from '../../src/i18n/en.ts';
import { fr } from '../../src/i18n/fr.ts';
import { internalMark, translateProblem } from '../../src/i18n/problems.ts';

const INDEXED = ['problem.', 'server.', 'role.', 'component.', 'status.', 'impact.'];

describe('translateProblem', () => {
  it('finds a message by its English text, placeholders included', () => {
    expect(translateProblem('fr', 'The changes are saved.')).toBe('Les modifications sont enregistrées.');
    expect(translateProblem('fr', 'There is no user abc123')).toBe('Il n’y a pas d’utilisateur abc123');
    expect(translateProblem('fr', 'Operational')).toBe('Opérationnel');
  });

  it('prefers the most specific pattern, and names the thing in French', () => {
    expect(translateProblem('fr', 'Give the template a name')).toBe('Donnez un nom (modèle)');
    expect(translateProblem('fr', 'Give the component id')).toBe('Indiquez l’identifiant (identifiant de composant)');
  });

  it('says a role and a known phrase inside a message in French', () => {
    expect(translateProblem('fr', 'The account ann@example.com (comms) is created.')).toBe(
      'Le compte ann@example.com (communication) est créé.',
    );
    expect(translateProblem('fr', 'Since 3 Dec 2026: no reason recorded')).toBe(
      'Depuis le 3 Dec 2026\u202f: aucune raison enregistrée',
    );
  });

  it('keeps the full stop the admin adds to a message written without one', () => {
    expect(translateProblem('fr', 'There is no such page of subscribers.')).toBe('Cette page d’abonnés n’existe pas.');
  });

  it('leaves English, and messages it does not know, as written', () => {
    expect(translateProblem('en', 'The changes are saved.')).toBe('The changes are saved.');
    expect(translateProblem('fr', 'Mailbox full (552 5.2.2)')).toBe('Mailbox full (552 5.2.2)');
    expect(translateProblem('fr', '')).toBe('');
  });

  it('turns every indexed English message into its own French one', () => {
    const wrong: string[] = [];
    for (const [key, value] of Object.entries(en)) {
      if (!INDEXED.some((p) => key.startsWith(p)) || typeof value !== 'string') continue;
      // Placeholders get values no catalog entry has, so only the message itself is translated.
      let n = 0;
      const fill = (text: string) => text.replace(/\{(\w+)\}/g, () => `q${++n}x`);
      n = 0;
      const english = fill(value);
      n = 0;
      const french = fill((fr as Record<string, unknown>)[key] as string);
      const got = translateProblem('fr', english);
      // A placeholder the French puts in another order is matched by name, not position.
      if (!value.includes('{') && got !== french) wrong.push(`${key}: ${got} ≠ ${french}`);
      if (value.includes('{') && got === english && french !== english) wrong.push(`${key}: left in English`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('internalMark', () => {
  it('keeps the name and says the mark in the reader’s language', () => {
    expect(internalMark('fr', 'Billing worker (internal)')).toBe('Billing worker (interne)');
    expect(internalMark('fr', 'REST API')).toBe('REST API');
    expect(internalMark('en', 'Billing worker (internal)')).toBe('Billing worker (internal)');
  });
});
