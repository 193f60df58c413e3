/**
 * `vigie export --out DIR`: the public snapshot as static files (with .gz and .br copies)
 * that any web server can serve, and nothing internal in any of them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
let out: string;
let stdout: string;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  s = await seedScenario(t.handle.db);
  await t.close();
  out = mkdtempSync(path.join(tmpdir(), 'vigie-export-'));
  ({ stdout } = await run(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'export', '--out', out], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...t.env },
  }));
});
afterAll(async () => {
  rmSync(out, { recursive: true, force: true });
  await t?.drop();
});

describe('vigie export', () => {
  it('writes the page, history, incident pages, every v2 JSON, the feeds and the assets', () => {
    expect(stdout).toMatch(/Exported \d+ pages and files/);
    for (const file of [
      'index.html',
      'history/index.html',
      `incidents/${s.incidents.active.id}/index.html`,
      `incidents/${s.incidents.resolved.id}/index.html`,
      'api/v2/summary.json',
      'api/v2/incidents/unresolved.json',
      'api/v2/scheduled-maintenances/upcoming.json',
      'feed.rss',
      `components/${s.components.rest.id}/feed.rss`,
      'favicon.svg',
      // The script /index.html loads to stay current: a mirror without it would answer 404.
      'live.js',
    ]) {
      expect(existsSync(path.join(out, file)), file).toBe(true);
    }
    expect(readFileSync(path.join(out, 'index.html'), 'utf8')).toContain('REST API');
    expect(files(out).some((f) => /\/_astro\/.+\.css$/.test(f))).toBe(true);
    expect(existsSync(path.join(out, 'admin'))).toBe(false);
  });

  it('writes gzip and brotli copies holding the same bytes', () => {
    const page = readFileSync(path.join(out, 'api/v2/summary.json'));
    expect(gunzipSync(readFileSync(path.join(out, 'api/v2/summary.json.gz'))).equals(page)).toBe(true);
    expect(brotliDecompressSync(readFileSync(path.join(out, 'api/v2/summary.json.br'))).equals(page)).toBe(true);
  });

  it('contains nothing internal, in any file', () => {
    expect(existsSync(path.join(out, `incidents/${s.incidents.internal.id}`))).toBe(false);
    expect(existsSync(path.join(out, `components/${s.components.secretComponent.id}`))).toBe(false);
    for (const file of files(out)) {
      let text = readFileSync(file);
      if (file.endsWith('.gz')) text = gunzipSync(text);
      if (file.endsWith('.br')) text = brotliDecompressSync(text);
      expect(text.toString('utf8'), file).not.toContain(INTERNAL_MARKER);
    }
  });
});
