/**
 * Messages the services write in English (zod messages, ValidationError, ConflictError…)
 * are also the management API's words, so they stay English there. The admin shows them in
 * the reader's language: each one the catalogs know, under a `problem.` key, is looked up by
 * its English text, `{placeholders}` included ("Keep it under {max} characters").
 * A message the catalogs do not know is shown as written.
 */
import { en, type MessageKey } from './en.ts';
import { messages, type Lang } from './index.ts';

type Pattern = { key: MessageKey; regex: RegExp; names: string[] };

let exact: Map<string, MessageKey> | null = null;
const patterns: Pattern[] = [];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function index(): Map<string, MessageKey> {
  if (exact) return exact;
  exact = new Map();
  for (const [key, value] of Object.entries(en) as [MessageKey, unknown][]) {
    if (!key.startsWith('problem.') || typeof value !== 'string') continue;
    if (!value.includes('{')) {
      exact.set(value, key);
      continue;
    }
    const names: string[] = [];
    const source = value
      .split(/(\{\w+\})/)
      .map((part) => {
        const m = /^\{(\w+)\}$/.exec(part);
        if (!m) return escape(part);
        names.push(m[1]);
        return '(.+?)';
      })
      .join('');
    patterns.push({ key, regex: new RegExp(`^${source}$`), names });
  }
  return exact;
}

/** A service's English message in the reader's language (unchanged in English, or when unknown). */
export function translateProblem(lang: Lang, message: string): string {
  if (lang === 'en' || !message) return message;
  const t = messages(lang);
  const key = index().get(message);
  if (key) return t(key);
  for (const p of patterns) {
    const m = p.regex.exec(message);
    if (m) return t(p.key, Object.fromEntries(p.names.map((name, i) => [name, m[i + 1]])));
  }
  return message;
}
