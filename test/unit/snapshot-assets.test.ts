import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_CACHE_CONTROL, IMMUTABLE_CACHE_CONTROL, loadAssets } from '../../src/server/snapshot/assets.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'vigie-assets-'));
  mkdirSync(path.join(dir, '_astro'));
  mkdirSync(path.join(dir, 'admin'));
  writeFileSync(path.join(dir, '_astro', 'page.abc123.css'), 'body { color: black; }\n'.repeat(200));
  writeFileSync(path.join(dir, 'admin', 'copy.js'), 'console.log(1);\n');
  writeFileSync(path.join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]));
  writeFileSync(path.join(dir, '.hidden.js'), 'secret');
  writeFileSync(path.join(dir, 'notes.unknown'), 'what');
  writeFileSync(path.join(dir, 'big.js'), Buffer.alloc(2 * 1024 * 1024, 'a'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadAssets', () => {
  it('holds the servable files by URL path, and leaves dotfiles, unknown types and large files on disk', async () => {
    const store = await loadAssets(dir);
    expect(store.paths().sort()).toEqual(['/_astro/page.abc123.css', '/admin/copy.js', '/logo.png']);
  });

  it('compresses text, caches hashed names for a year and the rest for minutes', async () => {
    const store = await loadAssets(dir);
    const css = store.get('/_astro/page.abc123.css')!;
    expect(css.cacheControl).toBe(IMMUTABLE_CACHE_CONTROL);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.fresh.gzip.length).toBeLessThan(css.fresh.body.length / 10);
    expect(gunzipSync(css.fresh.gzip).equals(css.fresh.body)).toBe(true);
    expect(store.get('/admin/copy.js')!.cacheControl).toBe(ASSET_CACHE_CONTROL);
  });

  it('sends images as they are, whatever the reader accepts', async () => {
    const store = await loadAssets(dir);
    const png = store.get('/logo.png')!;
    expect(png.incompressible).toBe(true);
    expect(png.fresh.br).toBe(png.fresh.body);
    expect(png.fresh.etag).toMatch(/^[\w-]{27}$/);
  });

  it('is empty, not an error, when the build has no client folder', async () => {
    expect((await loadAssets(path.join(dir, 'missing'))).size).toBe(0);
  });
});
