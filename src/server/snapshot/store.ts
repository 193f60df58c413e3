/**
 * The public snapshot in memory: each public surface rendered once per change, kept as
 * bytes with precompressed gzip and brotli variants and a strong ETag, and served straight
 * from a Node `http` listener without going through Astro (src/cli/serve.ts). Pure of any
 * database access: the builder (builder.ts) fills it.
 *
 * When a rebuild fails (the database is down), the last good snapshot stays and its HTML
 * pages gain a note saying since when the page could not be refreshed.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { LANGUAGES, negotiateLanguage, type Lang } from '../../i18n/index.ts';
import { PUBLIC_CACHE_CONTROL } from '../http.ts';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** The same caching as the live public surfaces (src/server/http.ts). */
export const SNAPSHOT_CACHE_CONTROL = PUBLIC_CACHE_CONTROL;

/** The placeholder in public pages where the "could not refresh" note goes (PublicLayout). */
export const STALE_NOTE_SLOT = '<!--vigie:stale-note-->';

/** One representation set of one path. */
export type Variant = {
  body: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
  /** When these bytes were made: the Last-Modified of every answer that sends them. */
  modifiedAt: Date;
};

type Encoding = 'br' | 'gzip' | 'identity';

export type SnapshotEntry = {
  /** The URL path; for a language variant other than the page's default, `path#lang` (variantKey). */
  path: string;
  /**
   * An HTML page in the language the reader negotiates: set on the default-language entry
   * (stored under the path itself) and on each variant, to the language of its bytes.
   */
  lang?: Lang;
  /** Headers of the rendered answer, minus those the store sets (length, etag, encoding, caching). */
  headers: Record<string, string>;
  fresh: Variant;
  /** The same page with the stale note, made once when the snapshot goes stale (HTML only). */
  stale?: Variant;
  /** The complete response headers per variant and encoding, made on first use. */
  heads?: Map<string, Record<string, string | number>>;
  /** Already compressed bytes (images, fonts): always sent as they are, whatever the reader accepts. */
  incompressible?: boolean;
  /** Overrides the snapshot's caching (the built assets: src/server/snapshot/assets.ts). */
  cacheControl?: string;
};

export type SnapshotStore = {
  /** Swaps in a complete new snapshot (entries by path) built at `builtAt`. */
  replace(entries: Map<string, SnapshotEntry>, builtAt: Date): void;
  /**
   * Puts in fresh entries for some paths and drops those of `paths` that did not render
   * (no longer public), keeping every other entry as it is.
   */
  merge(entries: Map<string, SnapshotEntry>, paths: readonly string[], builtAt: Date): void;
  /** Puts in one fresh entry at once (a hot path, as soon as it is rendered). */
  put(entry: SnapshotEntry): void;
  /** The database could not be read: keep serving, with the note on HTML pages (in each page's language). */
  markStale(noteHtml: (lastGood: Date, lang: Lang) => string): Promise<void>;
  /** Answers a request from the snapshot; false when the snapshot has no answer for it. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  get(path: string): SnapshotEntry | undefined;
  readonly size: number;
  readonly builtAt: Date | null;
  readonly stale: boolean;
  paths(): string[];
};

/** Where a page's language variant is kept: `#` never reaches a server in a request, so it cannot collide. */
export function variantKey(path: string, lang: Lang): string {
  return `${path}#${lang}`;
}

/** Negotiated pages vary with the language as well as the encoding. */
const VARY_NEGOTIATED = 'Accept-Encoding, Accept-Language, Cookie';

/** A fresh store, empty until the first build. */
export function createSnapshotStore(): SnapshotStore {
  let entries = new Map<string, SnapshotEntry>();
  let builtAt: Date | null = null;
  let stale = false;

  return {
    replace(next, at) {
      entries = next;
      builtAt = at;
      stale = false;
    },
    put(entry) {
      const next = new Map(entries);
      next.set(entry.path, entry);
      entries = next;
    },
    merge(fresh, paths, at) {
      const next = new Map(entries);
      for (const path of paths) {
        for (const key of [path, ...LANGUAGES.map((lang) => variantKey(path, lang))]) {
          const entry = fresh.get(key);
          if (entry) next.set(key, entry);
          else next.delete(key);
        }
      }
      entries = next;
      builtAt = at;
      stale = false;
    },
    async markStale(noteHtml) {
      if (stale || !builtAt) return;
      stale = true;
      const at = builtAt;
      for (const entry of entries.values()) {
        if (!entry.headers['content-type']?.startsWith('text/html')) continue;
        const html = entry.fresh.body.toString('utf8');
        if (!html.includes(STALE_NOTE_SLOT)) continue;
        entry.stale = await makeVariant(Buffer.from(html.replace(STALE_NOTE_SLOT, noteHtml(at, entry.lang ?? 'en'))));
      }
    },
    serve(req, res) {
      const method = req.method;
      if (method !== 'GET' && method !== 'HEAD') return false;
      const url = req.url ?? '/';
      // Exact matches only: a query string the snapshot does not hold (history pages, a cache
      // buster) goes to Astro; the component badges are held with theirs.
      let entry = entries.get(url);
      if (!entry) return false;
      if (entry.lang) {
        // Two header reads and, only when they are present, a short scan: the fast path stays fast.
        const lang = negotiateLanguage(req.headers['accept-language'], req.headers.cookie, entry.lang);
        if (lang !== entry.lang) entry = entries.get(variantKey(url, lang)) ?? entry;
      }
      const useStale = stale && entry.stale !== undefined;
      const variant = useStale ? entry.stale! : entry.fresh;
      const encoding = entry.incompressible ? 'identity' : pickEncoding(req.headers['accept-encoding']);
      const headers = headersOf(entry, variant, useStale, encoding);
      if (matchesEtag(req.headers['if-none-match'], variant.etag)) {
        const { 'content-length': _, 'content-encoding': __, ...notModified } = headers;
        res.writeHead(304, notModified);
        res.end();
        return true;
      }
      res.writeHead(200, headers);
      if (method === 'HEAD') res.end();
      else res.end(encoding === 'br' ? variant.br : encoding === 'gzip' ? variant.gzip : variant.body);
      return true;
    },
    get: (path) => entries.get(path),
    get size() {
      return entries.size;
    },
    get builtAt() {
      return builtAt;
    },
    get stale() {
      return stale;
    },
    paths: () => [...entries.keys()],
  };
}

/** The headers of one answer, computed once per entry, variant and encoding. */
function headersOf(
  entry: SnapshotEntry,
  variant: Variant,
  stale: boolean,
  encoding: Encoding,
): Record<string, string | number> {
  const key = `${stale ? 's' : 'f'}:${encoding}`;
  entry.heads ??= new Map();
  let headers = entry.heads.get(key);
  if (!headers) {
    const body = encoding === 'br' ? variant.br : encoding === 'gzip' ? variant.gzip : variant.body;
    headers = {
      ...entry.headers,
      'cache-control': entry.cacheControl ?? SNAPSHOT_CACHE_CONTROL,
      vary: entry.lang ? VARY_NEGOTIATED : 'Accept-Encoding',
      etag: encoding === 'identity' ? `"${variant.etag}"` : `"${variant.etag}-${encoding === 'br' ? 'br' : 'gz'}"`,
      'last-modified': variant.modifiedAt.toUTCString(),
      // For operators (and tests): this answer came from the snapshot, fresh or kept through an outage.
      'x-vigie-snapshot': stale ? 'stale' : 'fresh',
      'content-length': body.length,
    };
    if (encoding !== 'identity') headers['content-encoding'] = encoding;
    entry.heads.set(key, headers);
  }
  return headers;
}

/**
 * Compresses once per change: brotli at quality 5 and gzip at level 9. Measured on a 119 KB
 * status page: brotli 5 took 1.8 ms for 4 060 bytes, brotli 9 took 53 ms for 3 992 bytes;
 * a rebuild right after an update cannot spend the difference.
 */
export async function makeVariant(body: Buffer, options: { compress?: boolean } = {}): Promise<Variant> {
  const etag = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  // Images and fonts are compressed already: their "variants" are the bytes themselves.
  if (options.compress === false) return { body, gzip: body, br: body, etag, modifiedAt: new Date() };
  const [br, gzipped] = await Promise.all([
    brotli(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
    gz(body, { level: 9 }),
  ]);
  return { body, gzip: gzipped, br, etag, modifiedAt: new Date() };
}

/** br when accepted, else gzip when accepted, else identity. A `q=0` refuses a coding. */
export function pickEncoding(header: string | string[] | undefined): Encoding {
  if (!header) return 'identity';
  const value = Array.isArray(header) ? header.join(',') : header;
  let br = false;
  let gzipOk = false;
  for (const part of value.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q && Number(q.slice(2)) === 0) continue;
    if (name === 'br') br = true;
    else if (name === 'gzip' || name === 'x-gzip') gzipOk = true;
    else if (name === '*') {
      br = true;
      gzipOk = true;
    }
  }
  return br ? 'br' : gzipOk ? 'gzip' : 'identity';
}

/** Whether If-None-Match names this representation set (any of its encodings, weak or strong). */
export function matchesEtag(header: string | string[] | undefined, etag: string): boolean {
  if (!header) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  for (const raw of value.split(',')) {
    const tag = raw.trim().replace(/^W\//, '');
    if (tag === '*') return true;
    const inner = tag.replace(/^"|"$/g, '');
    if (inner === etag || inner === `${etag}-br` || inner === `${etag}-gz`) return true;
  }
  return false;
}
