/**
 * The only place that turns Markdown into HTML. marked does not sanitize, so its output
 * always goes through sanitize-html with a small allow-list: no scripts, no styles, no
 * event handlers, links limited to http(s) and mailto, images not allowed (a status
 * update has no need for them, and they are a tracking vector in email).
 */
import { Marked } from 'marked';
import sanitizeHtml from 'sanitize-html';

const marked = new Marked({ gfm: true, breaks: true, async: false });

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'strong',
    'em',
    'b',
    'i',
    'del',
    's',
    'code',
    'pre',
    'blockquote',
    'ul',
    'ol',
    'li',
    'a',
    'h3',
    'h4',
    'h5',
    'h6',
    'hr',
    'table',
    'thead',
    'tbody',
    'tr',
    'th',
    'td',
  ],
  allowedAttributes: { a: ['href', 'title'], th: ['align'], td: ['align'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowProtocolRelative: false,
  // Headings 1-2 would compete with the page's own; they become h3.
  transformTags: {
    h1: 'h3',
    h2: 'h3',
    a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow' }),
  },
  disallowedTagsMode: 'discard',
};
SANITIZE.allowedAttributes = { ...SANITIZE.allowedAttributes, a: ['href', 'title', 'rel'] };

/**
 * Both renderings are pure and the same few bodies are rendered over and over (one update
 * mailed to 100 subscribers per batch, the page rendering the same timeline), so the last
 * results are kept: a small map (texts up to 20 000 characters), oldest entry evicted first.
 */
function memo(fn: (input: string) => string, size = 200, longest = 20_000): (input: string) => string {
  const cache = new Map<string, string>();
  return (input) => {
    if (typeof input !== 'string' || input.length > longest) return fn(input);
    const hit = cache.get(input);
    if (hit !== undefined) return hit;
    const out = fn(input);
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(input, out);
    return out;
  };
}

/** Markdown → sanitized HTML, safe to insert with set:html. */
export const renderMarkdown: (markdown: string) => string = memo((markdown) =>
  sanitizeHtml(marked.parse(markdown ?? '') as string, SANITIZE),
);

/** Markdown → plain text (for RSS descriptions' fallback, email text parts, meta descriptions). */
export const markdownToText: (markdown: string) => string = memo((markdown) =>
  sanitizeHtml(marked.parse(markdown ?? '') as string, { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim(),
);
