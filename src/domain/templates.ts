/**
 * Incident message templates with `{{placeholder}}` slots. Names are case-insensitive
 * (`{{Component}}` and `{{component}}` are the same slot) and reported lowercased.
 */

// A fresh regex per call: a shared /g regex carries lastIndex between callers.
function placeholderPattern(): RegExp {
  return /\{\{\s*([a-z_][a-z0-9_.]*)\s*\}\}/gi;
}

/** Unique placeholder names of `text`, lowercased, in order of first appearance. */
export function listPlaceholders(text: string): string[] {
  const seen = new Set<string>();
  for (const m of text.matchAll(placeholderPattern())) seen.add(m[1].toLowerCase());
  return [...seen];
}

/** Result of filling a template: the text, and the placeholders no value was given for. */
export interface FilledTemplate {
  text: string;
  missing: string[];
}

/**
 * Replaces each `{{name}}` with its value (looked up case-insensitively, an exact-case
 * key winning). Missing placeholders stay in the text untouched so the person
 * previewing the message sees what still needs filling. Values are inserted verbatim
 * and never re-scanned, so a value containing `{{x}}` stays literal.
 */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): FilledTemplate {
  const lowered = new Map<string, string>();
  for (const [key, value] of Object.entries(values)) {
    const k = key.toLowerCase();
    if (!lowered.has(k)) lowered.set(k, value);
  }
  const missing = new Set<string>();
  const filled = text.replace(placeholderPattern(), (match: string, name: string) => {
    if (Object.hasOwn(values, name)) return values[name];
    const value = lowered.get(name.toLowerCase());
    if (value !== undefined) return value;
    missing.add(name.toLowerCase());
    return match;
  });
  return { text: filled, missing: [...missing] };
}
