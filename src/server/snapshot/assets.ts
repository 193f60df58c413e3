/**
 * The built static assets (`dist/client`: Astro's hashed CSS and scripts under `/_astro/`,
 * and what `public/` holds), read once at start and served by the front server from memory
 * like the snapshot: precompressed gzip and brotli, a strong ETag, 304 on If-None-Match.
 * Without this, Astro's static handler sent the 14 KB stylesheet of every page uncompressed
 * (Lighthouse: "Enable text compression") and read it from disk on every request.
 *
 * Caching: `/_astro/*` names change with their content, so they are immutable for a year;
 * every other file keeps its name across upgrades, so it is cached for 5 minutes and then
 * revalidated by ETag (a 304): an upgrade reaches readers within minutes.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createSnapshotStore, makeVariant, type SnapshotStore } from './store.ts';

export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const ASSET_CACHE_CONTROL = 'public, max-age=300';

/** Above this, a file stays on disk for Astro's handler to stream: memory is for the small, hot files. */
const MAX_BYTES = 1024 * 1024;

const TYPES: Readonly<Record<string, { type: string; compress: boolean }>> = {
  '.css': { type: 'text/css; charset=utf-8', compress: true },
  '.js': { type: 'text/javascript; charset=utf-8', compress: true },
  '.mjs': { type: 'text/javascript; charset=utf-8', compress: true },
  '.json': { type: 'application/json; charset=utf-8', compress: true },
  '.svg': { type: 'image/svg+xml', compress: true },
  '.txt': { type: 'text/plain; charset=utf-8', compress: true },
  '.xml': { type: 'application/xml; charset=utf-8', compress: true },
  '.ico': { type: 'image/x-icon', compress: true },
  '.png': { type: 'image/png', compress: false },
  '.jpg': { type: 'image/jpeg', compress: false },
  '.jpeg': { type: 'image/jpeg', compress: false },
  '.gif': { type: 'image/gif', compress: false },
  '.webp': { type: 'image/webp', compress: false },
  '.avif': { type: 'image/avif', compress: false },
  '.woff2': { type: 'font/woff2', compress: false },
  '.woff': { type: 'font/woff', compress: false },
};

/**
 * A store of every servable file under `dir`, keyed by URL path. Files of an unknown type,
 * dotfiles and large files are left out: Astro's handler still serves them from disk.
 */
export async function loadAssets(dir: string): Promise<SnapshotStore> {
  const store = createSnapshotStore();
  for (const file of walk(dir)) {
    const kind = TYPES[path.extname(file).toLowerCase()];
    if (!kind) continue;
    const body = readFileSync(file);
    if (body.length > MAX_BYTES) continue;
    const urlPath = '/' + path.relative(dir, file).split(path.sep).map(encodeURIComponent).join('/');
    store.put({
      path: urlPath,
      headers: { 'content-type': kind.type, 'x-content-type-options': 'nosniff' },
      fresh: await makeVariant(body, { compress: kind.compress }),
      incompressible: !kind.compress,
      cacheControl: urlPath.startsWith('/_astro/') ? IMMUTABLE_CACHE_CONTROL : ASSET_CACHE_CONTROL,
    });
  }
  return store;
}

function* walk(dir: string): Generator<string> {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) yield* walk(full);
    else if (stat.isFile()) yield full;
  }
}
