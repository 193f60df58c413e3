import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSnapshotStore,
  makeVariant,
  matchesEtag,
  pickEncoding,
  SNAPSHOT_CACHE_CONTROL,
  STALE_NOTE_SLOT,
  type SnapshotEntry,
} from '../../src/server/snapshot/store.ts';

describe('pickEncoding', () => {
  it('prefers brotli, then gzip, then identity, and honours q=0', () => {
    expect(pickEncoding(undefined)).toBe('identity');
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('br;q=0, gzip;q=0')).toBe('identity');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('deflate')).toBe('identity');
  });
});

describe('matchesEtag', () => {
  it('matches any encoding of the representation, weak or strong, and *', () => {
    expect(matchesEtag('"abc"', 'abc')).toBe(true);
    expect(matchesEtag('W/"abc-br"', 'abc')).toBe(true);
    expect(matchesEtag('"x", "abc-gz"', 'abc')).toBe(true);
    expect(matchesEtag('*', 'abc')).toBe(true);
    expect(matchesEtag('"abcd"', 'abc')).toBe(false);
    expect(matchesEtag(undefined, 'abc')).toBe(false);
  });
});

describe('the store behind a real http server', () => {
  const store = createSnapshotStore();
  let url: string;
  let server: http.Server;
  const entry = async (path: string, body: string, type = 'text/html'): Promise<SnapshotEntry> => ({
    path,
    headers: { 'content-type': type },
    fresh: await makeVariant(Buffer.from(body)),
  });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (!store.serve(req, res)) {
        res.writeHead(418);
        res.end('app');
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const at = new Date('2026-11-25T10:00:00Z');
    store.replace(
      new Map([
        ['/', await entry('/', `<main>${STALE_NOTE_SLOT}<h1>All good</h1></main>`)],
        ['/api/v2/status.json', await entry('/api/v2/status.json', '{"ok":true}', 'application/json')],
      ]),
      at,
    );
  });
  afterAll(() => server.close());

  it('answers what it holds, and leaves the rest (other paths, query strings, POST) to the app', async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe(SNAPSHOT_CACHE_CONTROL);
    // When these bytes were made (not when the snapshot was last rebuilt with the same bytes).
    const modified = Date.parse(page.headers.get('last-modified')!);
    expect(Date.now() - modified).toBeLessThan(60_000);
    expect(page.headers.get('x-vigie-snapshot')).toBe('fresh');
    expect(await page.text()).toContain('All good');
    expect((await fetch(`${url}/?x=1`)).status).toBe(418);
    expect((await fetch(`${url}/history`)).status).toBe(418);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(418);
  });

  it('merges some paths and drops those that no longer render, keeping the others', async () => {
    const before = store.get('/api/v2/status.json');
    store.merge(new Map([['/', await entry('/', '<main>Updated</main>')]]), ['/', '/gone'], new Date());
    expect(await (await fetch(`${url}/`)).text()).toBe('<main>Updated</main>');
    expect(store.get('/api/v2/status.json')).toBe(before);
    store.merge(new Map(), ['/api/v2/status.json'], new Date());
    expect((await fetch(`${url}/api/v2/status.json`)).status).toBe(418);
  });

  it('gains the stale note on HTML pages only while stale, and loses it on the next build', async () => {
    const at = new Date('2026-11-25T11:00:00Z');
    store.replace(
      new Map([
        ['/', await entry('/', `<main>${STALE_NOTE_SLOT}<h1>All good</h1></main>`)],
        ['/api/v2/status.json', await entry('/api/v2/status.json', '{"ok":true}', 'application/json')],
      ]),
      at,
    );
    const fresh = await fetch(`${url}/`);
    const freshTag = fresh.headers.get('etag');
    await store.markStale((since) => `<p>Stale since ${since.toISOString()}</p>`);
    const stale = await fetch(`${url}/`);
    expect(stale.headers.get('x-vigie-snapshot')).toBe('stale');
    const text = await stale.text();
    expect(text).toContain('<p>Stale since 2026-11-25T11:00:00.000Z</p><h1>All good</h1>');
    expect(stale.headers.get('etag')).not.toBe(freshTag);
    expect(await (await fetch(`${url}/api/v2/status.json`)).text()).toBe('{"ok":true}');
    // The compressed variants carry the note too.
    const br = await fetch(`${url}/`, { headers: { 'accept-encoding': 'br' } });
    expect(await br.text()).toContain('Stale since');

    store.replace(new Map([['/', await entry('/', `<main>${STALE_NOTE_SLOT}<h1>Back</h1></main>`)]]), new Date());
    expect(store.stale).toBe(false);
    expect(await (await fetch(`${url}/`)).text()).not.toContain('Stale since');
  });
});
