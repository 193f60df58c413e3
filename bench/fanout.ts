/**
 * The fan-out benchmark (issue 4, section 6): seeds N confirmed subscribers, publishes one
 * notifying public update, and runs the real worker process (`npm run vigie -- worker`,
 * VIGIE_SEND_RATE=R) against the Resend stand-in, which enforces R requests a second, until
 * every subscriber has the email.
 *
 *   npm run bench:fanout -- --subscribers 100000 --rate 20 --db postgres
 *   npm run bench:fanout -- --subscribers 100000 --rate 20 --db postgres --kill
 *
 * `--kill` SIGKILLs the worker at a random point of the run and starts it again. With
 * `--db postgres` it creates a throwaway database next to the one DATABASE_URL names
 * (default postgres://postgres@127.0.0.1:5432/postgres) and drops it at the end; with
 * `--db pglite` it uses PGlite in a temporary folder (closed by this process before the
 * worker opens it: one process at a time). Peak RSS is the worker process's (VmHWM).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase, queryRows } from '../src/db/client.ts';
import type { Actor } from '../src/server/audit/service.ts';
import { createComponent } from '../src/server/components/service.ts';
import { createIncident, postUpdate } from '../src/server/incidents/service.ts';
import { hashSecret } from '../src/server/ids.ts';
import { fanOut } from '../src/server/notify/fanout.ts';
import { getSigningSecret, manageTokenFor } from '../src/server/notify/tokens.ts';
import { startResendStandIn } from '../test/helpers/resend-stand-in.ts';

// One key for this run's processes: with DATABASE_URL, Vigie refuses to start without one.
process.env.VIGIE_SECRET_KEY ??= randomBytes(32).toString('base64');

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100000' },
    rate: { type: 'string', default: '20' },
    db: { type: 'string' },
    kill: { type: 'boolean', default: false },
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

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_FLAGS = (
  JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts.vigie
  .split(' ')
  .filter((w) => w.startsWith('--'));
const cleanups: (() => Promise<void> | void)[] = [];
/** What the worker process needs to reach the database. */
let databaseEnv: Record<string, string>;
let open: () => ReturnType<typeof openDatabase>;
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
  databaseEnv = { DATABASE_URL: url.toString() };
  open = () => openDatabase({ databaseUrl: url.toString(), max: 2 });
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigie-bench-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  databaseEnv = { DATABASE_URL: '', VIGIE_DATA_DIR: dir };
  open = () => openDatabase({ dataDir: dir });
}

const standIn = await startResendStandIn({ rateLimit: rate });
cleanups.unshift(() => standIn.close());

/** The worker process, its fan-out report, and its peak RSS (VmHWM, sampled every 100 ms). */
type Worker = { child: ChildProcess; exited: Promise<number | null> };
let peakRssKb = 0;
/** The fan-out chunks the worker reported: rows, time in the database, when the line came. */
const reported = { deliveries: 0, ms: 0, chunks: 0, lastAt: 0 };
function sampleRss(pid: number | undefined) {
  if (!pid) return;
  try {
    const hwm = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    if (hwm) peakRssKb = Math.max(peakRssKb, Number(hwm[1]));
  } catch {
    // the process has just exited
  }
}
async function startWorker(): Promise<Worker> {
  // As `npm run vigie -- worker` runs it (package.json), node flags included.
  const child = spawn(process.execPath, [...NODE_FLAGS, path.join(root, 'scripts/vigie.mjs'), 'worker'], {
    cwd: root,
    env: {
      ...process.env,
      ...databaseEnv,
      RESEND_API_KEY: 're_bench_dummy',
      RESEND_BASE_URL: standIn.url,
      VIGIE_SEND_RATE: String(rate),
      SITE_URL: siteUrl,
      EMAIL_FROM: 'Vigie <status@bench.example>',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      // The worker logs JSON lines (src/server/log.ts).
      if (line.startsWith('{')) {
        const event = JSON.parse(line) as { msg: string; event?: string; deliveries: number; ms: number };
        if (event.msg.startsWith('Vigie worker on')) resolve();
        if (event.event === 'fanout') {
          reported.deliveries += event.deliveries;
          reported.ms += event.ms;
          reported.chunks++;
          reported.lastAt = performance.now();
        }
      }
    });
  });
  await ready;
  return { child, exited };
}

try {
  // ---- Seed (not measured in the totals) ----
  let handle = await open();
  let t = performance.now();
  const { db } = handle;
  await handle.migrate();

  // One public component, and the subscribers to it, set-based.
  const component = await createComponent(db, actor, { name: 'API', position: 1 });
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
  // A quiet incident, then the update that notifies (its outbox row waits for the worker).
  const { incident } = await createIncident(db, actor, {
    name: 'Elevated API error rates',
    status: 'investigating',
    severity: 2,
    body: 'We are investigating elevated error rates.',
    components: { [component.id]: 'partial_outage' },
    notify: false,
  });
  await queryRows(db, sql`update outbox set processed_at = now() where processed_at is null`);
  const update = await postUpdate(db, actor, incident.id, {
    status: 'identified',
    body: 'The cause has been identified and a fix is being rolled out.',
    components: { [component.id]: 'degraded_performance' },
    notify: true,
  });
  const seedMs = performance.now() - t;

  // The enqueue on its own: the same chunked fan-out, with nothing else running, inside a
  // transaction rolled back afterwards (the run below queues them for real, while sending).
  let aloneMs = 0;
  let aloneRows = 0;
  const Rollback = new Error('rollback');
  await db
    .transaction(async (tx) => {
      const at = performance.now();
      aloneRows = await fanOut(tx, update.id);
      aloneMs = performance.now() - at;
      throw Rollback;
    })
    .catch((err: unknown) => {
      if (err !== Rollback) throw err;
    });
  await handle.close();

  // ---- The run: the worker process from ready to the last recipient accepted ----
  let worker = await startWorker();
  const start = performance.now();
  const sampler = setInterval(() => sampleRss(worker.child.pid), 100);
  const kills: { atS: number; restartS: number }[] = [];
  const expectedS = Math.ceil(subscriberCount / 100) / rate;
  const killAt = values.kill ? start + (0.2 + Math.random() * 0.6) * expectedS * 1000 : Infinity;
  const deadline = start + Math.max(300, expectedS * 5) * 1000;
  while (standIn.accepted.size < subscriberCount && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    if (performance.now() >= killAt && kills.length === 0) {
      const atS = (performance.now() - start) / 1000;
      sampleRss(worker.child.pid);
      worker.child.kill('SIGKILL');
      await worker.exited;
      worker = await startWorker();
      kills.push({ atS, restartS: (performance.now() - start) / 1000 });
    }
  }
  const lastAccepted = Math.max(...standIn.requests.filter((r) => r.status === 200).map((r) => r.at));
  const totalMs = lastAccepted - (performance.timeOrigin + start);
  // Let stragglers (a duplicate would arrive now) come in, then stop the worker cleanly.
  await new Promise((r) => setTimeout(r, 2_000));
  sampleRss(worker.child.pid);
  clearInterval(sampler);
  worker.child.kill('SIGTERM');
  const code = await worker.exited;

  // ---- Results ----
  handle = await open();
  const statuses = await queryRows<{ status: string; n: number }>(
    handle.db,
    sql`select status, count(*)::int as n from email_deliveries group by status order by status`,
  );
  await handle.close();
  const sent = Number(statuses.find((s) => s.status === 'sent')?.n ?? 0);
  const ok = standIn.requests.filter((r) => r.status === 200);
  const expected = Array.from({ length: subscriberCount }, (_, i) => `sub${i + 1}@bench.example`);
  const missing = expected.filter((e) => !standIn.accepted.has(e)).length;
  const seconds = totalMs / 1000;
  const firstAccepted = Math.min(...ok.map((r) => r.at));
  // Sending phase: first to last accepted request, plus the last one's own slot.
  const sendingS = (lastAccepted - firstAccepted) / 1000 + 1 / rate;

  const lines = [
    `database: ${kind}`,
    `node: ${process.version}`,
    `subscribers: ${subscriberCount}`,
    `rate limit (R, enforced by the stand-in): ${rate} requests/s`,
    `seed time (not in the totals): ${(seedMs / 1000).toFixed(2)} s`,
    `enqueue time alone (fan-out of ${aloneRows} rows, nothing else running, rolled back): ${(aloneMs / 1000).toFixed(2)} s`,
    `enqueue time during the run (fan-out of ${reported.deliveries} rows in ${reported.chunks} INSERT … SELECT chunks): ${(reported.ms / 1000).toFixed(2)} s in the database, all queued ${((reported.lastAt - start) / 1000).toFixed(2)} s after the worker was ready`,
    `total time (worker ready to last email accepted): ${seconds.toFixed(2)} s`,
    `sending phase (first to last accepted request): ${sendingS.toFixed(2)} s`,
    `deliveries: ${statuses.map((s) => `${s.status}=${s.n}`).join(' ')}`,
    `emails/s (over the total time): ${(sent / seconds).toFixed(1)}`,
    `requests: ${standIn.requests.length} (${ok.length} accepted, ${standIn.limited()} refused by the rate limit)`,
    `achieved requests/s: ${(ok.length / sendingS).toFixed(2)} while sending, ${(ok.length / seconds).toFixed(2)} over the total time`,
    `rate-limit utilisation: ${((ok.length / sendingS / rate) * 100).toFixed(1)}% while sending, ${((ok.length / seconds / rate) * 100).toFixed(1)}% over the total time`,
    `peak RSS of the worker process: ${(peakRssKb / 1024).toFixed(0)} MB`,
    `worker kills: ${kills.length ? kills.map((k) => `SIGKILL at ${k.atS.toFixed(1)} s, running again at ${k.restartS.toFixed(1)} s`).join('; ') : 'none'}`,
    `worker exit code after SIGTERM: ${code}`,
    `duplicates seen by the stand-in: ${standIn.duplicates().length}`,
    `missing recipients: ${missing}`,
  ];
  console.log(lines.join('\n'));
  if (process.env.BENCH_DEBUG) {
    const perSecond = new Map<number, number>();
    for (const r of ok) {
      const k = Math.floor((r.at - firstAccepted) / 1000);
      perSecond.set(k, (perSecond.get(k) ?? 0) + 1);
    }
    console.log('accepted per second:', [...perSecond.values()].join(' '));
  }
  if (missing || standIn.duplicates().length) process.exitCode = 1;
} finally {
  for (const cleanup of cleanups) await cleanup();
}
