/**
 * The leak test (issue 8, part 4): internal components, groups, incidents, updates, an internal
 * maintenance, an internal template and an internal webhook (name, address and its secret) all
 * carry marker strings; then every public surface is crawled, from the live server and from
 * the static mirror it keeps in sync (VIGIE_EXPORT_DIR), and no marker may appear anywhere.
 * Emails and public webhook payloads are crawled after every step of an incident in
 * incident-lifecycle.test.ts, with the same marker.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { V2_ENDPOINTS } from '../../src/server/statuspage/serialize.ts';
import { createTemplate } from '../../src/server/templates/service.ts';
import { createApiToken } from '../../src/server/users/service.ts';
import { createWebhook } from '../../src/server/webhooks/service.ts';
import { INTERNAL_MARKER } from '../helpers/scenario.ts';
import { startScenarioServer } from '../helpers/server.ts';

const TEMPLATE_MARKER = 'ZZ-TEMPLATE-MARKER';
const WEBHOOK_MARKER = 'ZZ-WEBHOOK-MARKER';
const MAINTENANCE_MARKER = 'ZZ-MAINTENANCE-MARKER';

let exportDir: string;
let app: Awaited<ReturnType<typeof start>>;
const start = () =>
  startScenarioServer(
    { VIGIE_EXPORT_DIR: exportDir, VIGIE_SNAPSHOT_REFRESH: '1' },
    {
      async prepare(db, s) {
        await createTemplate(db, SYSTEM_ACTOR, {
          name: `Ops ${TEMPLATE_MARKER}`,
          audience: 'internal',
          title: `Title ${TEMPLATE_MARKER}`,
          body: `Page the DBA (${TEMPLATE_MARKER}) and open the bridge.`,
        });
        const webhook = await createWebhook(db, SYSTEM_ACTOR, {
          name: `On-call ${WEBHOOK_MARKER}`,
          url: `https://hooks.example.com/${WEBHOOK_MARKER}`,
          format: 'signed',
          events: ['incident.created'],
          internal: true,
        });
        const maintenance = await createIncident(db, SYSTEM_ACTOR, {
          kind: 'maintenance',
          name: `DB upgrade ${MAINTENANCE_MARKER}`,
          status: 'scheduled',
          visibility: 'internal',
          body: `Staff only: ${MAINTENANCE_MARKER}`,
          componentIds: [s.components.cdn.id],
          scheduledFor: new Date(Date.now() + 86_400_000),
          scheduledUntil: new Date(Date.now() + 90_000_000),
        });
        const token = (await createApiToken(db, SYSTEM_ACTOR, { name: 'staff', role: 'viewer' })).token;
        return { secret: webhook.secret, internalMaintenanceId: maintenance.incident.id, token };
      },
    },
  );

beforeAll(async () => {
  exportDir = mkdtempSync(path.join(tmpdir(), 'vigie-leak-export-'));
  app = await start();
});
afterAll(async () => {
  await app?.stop();
  rmSync(exportDir, { recursive: true, force: true });
});

const markers = () => [INTERNAL_MARKER, TEMPLATE_MARKER, WEBHOOK_MARKER, MAINTENANCE_MARKER, app.prepared.secret];

function leaksIn(text: string): string[] {
  return markers().filter((m) => text.includes(m));
}

it('no public surface, live or in the static mirror, holds an internal marker or a webhook secret', async () => {
  const s = app.scenario;
  const publicIncidents = [s.incidents.active, s.incidents.resolved, s.incidents.maintenance];
  const internalIds = [s.incidents.internal.id, app.prepared.internalMaintenanceId];
  const components = Object.values(s.components);
  const paths = [
    '/',
    '/history',
    '/history?page=2',
    ...publicIncidents.map((i) => `/incidents/${i.id}`),
    ...internalIds.map((id) => `/incidents/${id}`),
    '/feed.rss',
    ...components.map((c) => `/components/${c.id}/feed.rss`),
    ...V2_ENDPOINTS.map((e) => `/api/v2/${e}.json`),
    '/badge.svg',
    ...components.map((c) => `/badge.svg?component=${c.id}`),
    '/embed.js',
    '/favicon.svg',
    '/robots.txt',
    '/sitemap.xml',
    '/subscribe',
    '/no-such-page',
  ];
  const found: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    for (const encoding of ['identity', 'gzip']) {
      const res = await fetch(app.server.url + p, { headers: { 'accept-encoding': encoding } });
      const body = await res.text(); // fetch decodes gzip itself
      bytes += body.length;
      expect(res.status, p).toBeLessThan(500);
      for (const m of leaksIn(body)) found.push(`${p} (${encoding}): ${m}`);
    }
  }
  for (const id of internalIds) expect((await fetch(`${app.server.url}/incidents/${id}`)).status).toBe(404);

  // The static mirror: every file, compressed copies decompressed.
  const deadline = Date.now() + 20_000;
  while (!safeExists(path.join(exportDir, 'index.html'))) {
    if (Date.now() > deadline) throw new Error('the static mirror was never written');
    await new Promise((r) => setTimeout(r, 200));
  }
  const files = walk(exportDir);
  expect(files.length).toBeGreaterThan(20);
  for (const file of files) {
    let raw: Buffer = readFileSync(file);
    if (file.endsWith('.gz')) raw = gunzipSync(raw);
    else if (file.endsWith('.br')) raw = brotliDecompressSync(raw);
    bytes += raw.length;
    for (const m of leaksIn(raw.toString('utf8'))) found.push(`${path.relative(exportDir, file)}: ${m}`);
  }
  console.log(
    `leak test: ${paths.length * 2} live answers and ${files.length} mirror files (${bytes} bytes) searched for ${markers().length} markers`,
  );
  expect(found).toEqual([]);

  // The markers are really in the data, where staff read them: a leak would have been seen.
  const staff = { headers: { authorization: `Bearer ${app.prepared.token}` } };
  const internal = await fetch(`${app.server.url}/api/v1/incidents/${s.incidents.internal.id}`, staff);
  expect(await internal.text()).toContain(INTERNAL_MARKER);
  const maintenance = await fetch(`${app.server.url}/api/v1/maintenances/${app.prepared.internalMaintenanceId}`, staff);
  expect(await maintenance.text()).toContain(MAINTENANCE_MARKER);
});

function safeExists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}
