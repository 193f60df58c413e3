/**
 * The static mirror: the public snapshot written as plain files any web server or object
 * store can serve (`vigie export --out DIR`, or VIGIE_EXPORT_DIR to keep a folder in sync
 * after every build). Each file gets `.gz` and `.br` siblings for servers that serve
 * precompressed files (nginx `gzip_static`, Caddy `precompressed`). Files are written to a
 * temporary name and renamed, so a reader never sees half a file; files of pages that left
 * the snapshot are removed.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SnapshotStore } from './store.ts';

const MANIFEST = '.vigie-export.json';

/** Where a snapshot path goes on disk: pages become `…/index.html`, files keep their name. */
export function exportFileOf(urlPath: string): string {
  if (urlPath === '/') return 'index.html';
  const clean = urlPath.replace(/^\/+/, '');
  if (clean.split('/').some((part) => part === '..' || part === '.' || part === '')) {
    throw new Error(`Refusing to export the path ${urlPath}`);
  }
  return /\.[a-z0-9]+$/i.test(clean) ? clean : `${clean}/index.html`;
}

export type ExportResult = { files: number; written: number; removed: number };

/**
 * Writes the store's entries under `dir` (and the built assets from `assetsDir`), touching
 * only files whose bytes changed.
 */
export function writeExport(store: SnapshotStore, dir: string, assetsDir?: string): ExportResult {
  mkdirSync(dir, { recursive: true });
  if (assetsDir && existsSync(assetsDir)) {
    // The public assets; the admin's scripts are of no use on a static mirror.
    for (const name of readdirSync(assetsDir)) {
      if (name === 'admin') continue;
      cpSync(path.join(assetsDir, name), path.join(dir, name), { recursive: true });
    }
  }
  const previous = readManifest(dir);
  const current: string[] = [];
  let written = 0;
  for (const urlPath of store.paths()) {
    // A file server cannot tell queries apart: the component badges stay with the app. Nor can
    // it negotiate a language: the mirror holds each page in the page's default language.
    if (urlPath.includes('?') || urlPath.includes('#')) continue;
    const entry = store.get(urlPath)!;
    const variant = (store.stale && entry.stale) || entry.fresh;
    const file = exportFileOf(urlPath);
    current.push(file);
    const target = path.join(dir, file);
    if (existsSync(target) && readFileSync(target).equals(variant.body)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    atomicWrite(`${target}.gz`, variant.gzip);
    atomicWrite(`${target}.br`, variant.br);
    atomicWrite(target, variant.body);
    written++;
  }
  let removed = 0;
  const keep = new Set(current);
  for (const file of previous) {
    if (keep.has(file)) continue;
    for (const suffix of ['', '.gz', '.br']) rmSync(path.join(dir, file + suffix), { force: true });
    removed++;
  }
  atomicWrite(path.join(dir, MANIFEST), Buffer.from(JSON.stringify(current.sort(), null, 1)));
  return { files: current.length, written, removed };
}

function readManifest(dir: string): string[] {
  try {
    const list = JSON.parse(readFileSync(path.join(dir, MANIFEST), 'utf8')) as unknown;
    return Array.isArray(list)
      ? list.filter((f): f is string => typeof f === 'string' && !f.split(/[\\/]/).includes('..'))
      : [];
  } catch {
    return [];
  }
}

function atomicWrite(file: string, bytes: Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}
