/**
 * The default severity definitions in each language. They are Vigie's words, so a French
 * reader gets them in French; definitions an admin wrote in Settings are shown as written.
 * English comes from src/domain/severity.ts, the one source of the scale itself.
 */
import { DEFAULT_SEVERITY_DEFINITIONS } from '../domain/severity.ts';
import type { Lang } from './index.ts';

export type SeverityText = { label: string; description: string; examples: string[]; response: string };
export type SeverityTexts = Record<'1' | '2' | '3', SeverityText>;

const english = Object.fromEntries(
  DEFAULT_SEVERITY_DEFINITIONS.map((d) => [
    String(d.severity),
    { label: d.label, description: d.summary, examples: [...d.examples], response: d.response },
  ]),
) as SeverityTexts;

const french: SeverityTexts = {
  1: {
    label: 'Sév. 1',
    description:
      'Critique\u202f: un service essentiel est en panne ou dangereux pour la plupart ou la totalité des clients.',
    examples: [
      'Panne complète d’un service essentiel',
      'Perte ou corruption de données',
      'Incident de sécurité ou exposition de données clients',
    ],
    response: 'Alerter l’astreinte maintenant, à toute heure\u202f; tout le monde mobilisé jusqu’à l’atténuation.',
  },
  2: {
    label: 'Sév. 2',
    description: 'Majeure\u202f: une fonction importante est indisponible ou très dégradée pour de nombreux clients.',
    examples: [
      'Une fonction importante échoue pour une grande part des clients',
      'Lenteur ou taux d’erreur sévères sur un service essentiel',
      'Panne dans une région ou pour un segment de clients',
    ],
    response: 'Alerter l’astreinte maintenant\u202f; traiter jusqu’à l’atténuation.',
  },
  3: {
    label: 'Sév. 3',
    description: 'Mineure\u202f: impact partiel, mineur ou esthétique, et un contournement existe.',
    examples: [
      'Une fonction secondaire est dégradée ou indisponible',
      'Latence élevée sans requêtes en échec',
      'Problèmes esthétiques ou d’affichage',
    ],
    response: 'Traiter aux heures ouvrées\u202f; pas d’alerte.',
  },
};

const DEFAULTS: Readonly<Record<Lang, SeverityTexts>> = { en: english, fr: french };

/** The default definitions in a language (a fresh copy: callers may change it). */
export function defaultSeverityTexts(lang: Lang = 'en'): SeverityTexts {
  return structuredClone(DEFAULTS[lang]);
}

/** Whether definitions are exactly the defaults of one of the languages. */
export function isDefaultSeverityTexts(value: unknown): boolean {
  const json = JSON.stringify(value);
  return Object.values(DEFAULTS).some((d) => JSON.stringify(d) === json);
}
