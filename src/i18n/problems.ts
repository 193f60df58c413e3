/**
 * Messages the services write in English (zod messages, ValidationError, ConflictError…)
 * are also the management API's words, so they stay English there. The admin shows them in
 * the reader's language: each one the catalogs know, under a `problem.` key, is looked up by
 * its English text, `{placeholders}` included ("Keep it under {max} characters").
 * Labels the loaders build from the status names ("Operational") are found the same way.
 * A message the catalogs do not know is shown as written.
 */
import { ROLES, type Role } from '../domain/enums.ts';
import { en, type MessageKey } from './en.ts';
import { messages, type Lang } from './index.ts';

/** The catalog sections whose English words the server writes: its messages, and the status names it labels things with. */
const INDEXED = ['problem.', 'server.', 'role.', 'component.', 'status.', 'impact.'];

type Pattern = { key: MessageKey; regex: RegExp; names: string[]; literal: number };

let exact: Map<string, MessageKey> | null = null;
const patterns: Pattern[] = [];

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function index(): Map<string, MessageKey> {
  if (exact) return exact;
  exact = new Map();
  for (const [key, value] of Object.entries(en) as [MessageKey, unknown][]) {
    if (!INDEXED.some((prefix) => key.startsWith(prefix)) || typeof value !== 'string') continue;
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
    patterns.push({ key, regex: new RegExp(`^${source}$`), names, literal: value.replace(/\{\w+\}/g, '').length });
  }
  // The most specific first: "Give the {what} a name" before "Give the {what}".
  patterns.sort((a, b) => b.literal - a.literal);
  return exact;
}

/** A service's English message in the reader's language (unchanged in English, or when unknown). */
export function translateProblem(lang: Lang, message: string): string {
  if (lang === 'en' || !message) return message;
  const found = lookup(lang, message);
  if (found !== null) return found;
  // The admin pages end a message with a full stop where the service wrote none.
  if (message.endsWith('.')) {
    const bare = lookup(lang, message.slice(0, -1));
    if (bare !== null) return /[.!?…]$/.test(bare) ? bare : `${bare}.`;
  }
  return message;
}

function lookup(lang: Lang, message: string): string | null {
  const t = messages(lang);
  const key = index().get(message);
  if (key) return t(key);
  for (const p of patterns) {
    const m = p.regex.exec(message);
    if (m) return t(p.key, Object.fromEntries(p.names.map((name, i) => [name, word(lang, name, m[i + 1])])));
  }
  return null;
}

/** A placeholder's value: a role's name or a known phrase ("no reason recorded") in the reader's language, anything else as it is. */
function word(lang: Lang, name: string, value: string): string {
  if (name === 'role' && (ROLES as readonly string[]).includes(value)) return messages(lang)(`role.${value as Role}`);
  const key = index().get(value) ?? (name === 'what' ? nouns().get(value) : undefined);
  return key ? messages(lang)(key) : value;
}

/** A choice's label built as "Name (internal)": the name as written, the mark in the reader's language. */
export function internalMark(lang: Lang, label: string): string {
  return label.endsWith(' (internal)')
    ? `${label.slice(0, -' (internal)'.length)} ${messages(lang)('admin.internalMark')}`
    : label;
}

let nounIndex: Map<string, MessageKey> | null = null;

/** The things a generic message names ("Give the {what} a name"): `noun.` keys, by their English. */
function nouns(): Map<string, MessageKey> {
  if (!nounIndex) {
    nounIndex = new Map();
    for (const [key, value] of Object.entries(en) as [MessageKey, unknown][]) {
      if (key.startsWith('noun.') && typeof value === 'string') nounIndex.set(value, key);
    }
  }
  return nounIndex;
}
