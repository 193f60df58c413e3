/**
 * The fan-out benchmark (issue 4, section 6): seeds N confirmed subscribers, publishes one
 * notifying public update, and drives the real delivery worker (`runWorkerOnce`, paced at R
 * batch requests a second) against the Resend stand-in until every delivery is sent.
 *
 *   npm run bench:fanout -- --subscribers 100000 --rate 20 --db postgres
 *
 * With `--db postgres` it creates a throwaway database next to the one DATABASE_URL names
 * (default postgres://postgres@127.0.0.1:5432/postgres) and drops it at the end; with
 * `--db pglite` it uses PGlite in a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, queryRows, type DatabaseHandle } from '../src/db/client.ts';
import type { Actor } from '../src/server/audit/service.ts';
import { createComponent } from '../src/server/components/service.ts';
import { createIncident, postUpdate } from '../src/server/incidents/service.ts';
import { hashSecret } from '../src/server/ids.ts';
import { createMailer } from '../src/server/notify/mailer.ts';
import { getSigningSecret, manageTokenFor } from '../src/server/notify/tokens.ts';
import { runWorkerOnce } from '../src/server/notify/worker.ts';
import { startResendStandIn } from '../test/helpers/resend-stand-in.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '20' },
    db: { type: 'string' },
  },
});
const subscriberCount = Number(values.subscribers);
const rate = Number(values.rate);
const kind = values.db ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
if (!Number.isInteger(subscriberCount) || subscriberCount < 1) throw new Error('--subscribers: a positive integer');
if (!(rate > 0)) throw new Error('--rate: a positive number');
if (kind !== 'postgres' && kind !== 'pglite') throw new Error('--db: postgres or pglite');

const actor: Actor = { type: 'system', name: 'bench' };
const siteUrl = 'https://status.bench.example';

// Peak RSS, sampled every 100 ms from the start.
let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const cleanups: (() => Promise<void> | void)[] = [];
let handle: DatabaseHandle;
if (kind === 'postgres') {
  const adminUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `vigie_bench_${process.pid}`;
  const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end({ timeout: 5 });
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  handle = await openDatabase({ databaseUrl: url.toString() });
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigie-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  handle = await openDatabase({ dataDir: dir });
}
cleanups.unshift(() => handle.close());

const standIn = await startResendStandIn();
cleanups.unshift(() => standIn.close());

try {
  const { db } = handle;
  await handle.migrate();

  // One public component, and the subscribers to it, set-based.
  const component = await createComponent(db, actor, { name: 'API', position: 1 });
  let t = performance.now();
  await queryRows(
    db,
    sql`insert into subscribers (id, email, all_components, confirmed_at, manage_token_hash, created_at, updated_at)
      select 'bench-sub-' || lpad(g::text, 7, '0'), 'sub' || g || '@bench.example', false, now(),
        'bench-placeholder-' || g, now(), now()
      from generate_series(1, ${subscriberCount}::int) as g`,
  );
  await queryRows(
    db,
    sql`insert into subscriber_components (subscriber_id, component_id)
      select id, ${component.id} from subscribers where id like 'bench-sub-%'`,
  );
  // Their manage-token hashes, as confirming through the form stores them (an admin import's
  // placeholder would make the worker rewrite each one on its first email).
  const secret = await getSigningSecret(db);
  for (let from = 1; from <= subscriberCount; from += 10_000) {
    const ids: string[] = [];
    const hashes: string[] = [];
    for (let g = from; g < Math.min(from + 10_000, subscriberCount + 1); g++) {
      const id = `bench-sub-${String(g).padStart(7, '0')}`;
      ids.push(id);
      hashes.push(hashSecret(manageTokenFor(secret, id)));
    }
    await queryRows(
      db,
      sql`update subscribers s set manage_token_hash = v.h
        from unnest(${sql.param(ids)}::text[], ${sql.param(hashes)}::text[]) as v(id, h) where s.id = v.id`,
    );
  }
  const seedMs = performance.now() - t;

  // The SDK reads RESEND_BASE_URL when a Resend is constructed.
  process.env.RESEND_BASE_URL = standIn.url;
  const mailer = createMailer({ apiKey: 're_bench_dummy', dataDir: tmpdir(), from: 'Vigie <status@bench.example>' });

  // A quiet incident, then the update that notifies.
  const { incident } = await createIncident(db, actor, {
    name: 'Elevated API error rates',
    status: 'investigating',
    severity: 2,
    body: 'We are investigating elevated error rates.',
    components: { [component.id]: 'partial_outage' },
    notify: false,
  });
  await queryRows(db, sql`update outbox set processed_at = now() where processed_at is null`);
  await postUpdate(db, actor, incident.id, {
    status: 'identified',
    body: 'The cause has been identified and a fix is being rolled out.',
    components: { [component.id]: 'degraded_performance' },
    notify: true,
  });

  // The worker paced at `rate` passes a second: pass k starts no earlier than start + k / rate.
  const start = performance.now();
  let enqueueMs = 0;
  let fannedOut = 0;
  let passes = 0;
  let backoffs = 0;
  let errors = 0;
  let next = start;
  for (;;) {
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    next = Math.max(next + 1000 / rate, performance.now() - 1000 / rate);
    t = performance.now();
    try {
      const r = await runWorkerOnce(db, { mailer, siteUrl });
      passes++;
      if (r.fannedOut) {
        fannedOut += r.fannedOut;
        enqueueMs += performance.now() - t;
      }
      if (r.backoffMs !== null) {
        backoffs++;
        next = performance.now() + Math.min(r.backoffMs, 60_000);
      }
      if (r.claimed === 0 && r.fannedOut === 0) {
        const [left] = await queryRows<{ n: number }>(
          db,
          sql`select count(*)::int as n from email_deliveries where status in ('pending', 'sending')`,
        );
        if (left.n === 0) break;
      }
    } catch (err) {
      errors++;
      console.error('worker pass failed:', err);
      if (errors > 20) throw err;
    }
  }
  const totalMs = performance.now() - start;

  const statuses = await queryRows<{ status: string; n: number }>(
    db,
    sql`select status, count(*)::int as n from email_deliveries group by status order by status`,
  );
  const sent = statuses.find((s) => s.status === 'sent')?.n ?? 0;
  const ok = standIn.requests.filter((r) => r.status === 200);
  const expected = Array.from({ length: subscriberCount }, (_, i) => `sub${i + 1}@bench.example`);
  const missing = expected.filter((e) => !standIn.accepted.has(e)).length;
  const seconds = totalMs / 1000;
  const achievedRate = ok.length / seconds;

  const lines = [
    `database: ${handle.kind} (${handle.label})`,
    `node: ${process.version}`,
    `subscribers: ${subscriberCount}`,
    `rate limit (R): ${rate} requests/s`,
    `seed time: ${(seedMs / 1000).toFixed(2)} s`,
    `enqueue time (first worker pass: outbox fan-out INSERT of ${fannedOut} rows + first batch): ${(enqueueMs / 1000).toFixed(2)} s`,
    `total time (publish to last delivery sent): ${seconds.toFixed(2)} s`,
    `deliveries: ${statuses.map((s) => `${s.status}=${s.n}`).join(' ')}`,
    `emails/s: ${(sent / seconds).toFixed(1)}`,
    `requests: ${standIn.requests.length} (${ok.length} accepted), worker passes: ${passes}, backoffs: ${backoffs}, errors: ${errors}`,
    `achieved requests/s: ${achievedRate.toFixed(2)}`,
    `rate-limit utilisation: ${((achievedRate / rate) * 100).toFixed(1)}%`,
    `peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB`,
    `duplicates seen by the stand-in: ${standIn.duplicates().length}`,
    `missing recipients: ${missing}`,
  ];
  console.log(lines.join('\n'));
} finally {
  clearInterval(sampler);
  for (const cleanup of cleanups) await cleanup();
}
