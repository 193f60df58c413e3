/**
 * Fault (b): the worker process is killed (SIGKILL, no chance to clean up) in the middle of
 * sending an update to 2 000 subscribers, while batches are in flight at the provider.
 *
 * The worker is the real one, `node scripts/vigie.mjs worker`, in a child process, against
 * this suite's database, sending through the Resend stand-in, which answers every request
 * 300 ms late. The test kills it the moment a request has reached the stand-in (which has
 * accepted that batch) and before the answer is back, so the worker never recorded it; then
 * it starts a second worker. The rows the first one held come back once their claim expires
 * (30 s, notify/worker.ts), are sent again with the same Idempotency-Key and the same
 * payload, and the stand-in, as Resend does for 24 h, answers them without sending again.
 * What a recipient receives is what the stand-in accepted: every subscriber exactly once.
 *
 * On PGlite the two workers run one after the other (one process owns the data folder), as
 * a restart after a crash does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryRows } from '../../src/db/client.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { startResendStandIn, type ResendStandIn } from '../helpers/resend-stand-in.ts';
import { addSubscribers } from '../helpers/subscribers.ts';

const root = path.resolve(import.meta.dirname, '../..');
const SUBSCRIBERS = 2_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault: the worker is killed during a fan-out', () => {
  let t: TestDatabase;
  let resend: ResendStandIn;
  let mailDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    resend = await startResendStandIn();
    mailDir = mkdtempSync(path.join(tmpdir(), 'vigie-kill-'));
    t = await createTestDatabase({ onDisk: true });
    const db = t.handle.db;
    const component = await createComponent(db, SYSTEM_ACTOR, { name: 'Storage' });
    await addSubscribers(
      db,
      Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `kill${String(i).padStart(4, '0')}@example.com` })),
    );
    await createIncident(db, SYSTEM_ACTOR, {
      name: 'Storage outage',
      status: 'investigating',
      severity: 1,
      body: 'Writes are failing.',
      components: { [component.id]: 'major_outage' },
    });
    // The worker processes open the database themselves (PGlite: one process at a time).
    await t.close();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await resend?.close();
    await t?.drop();
    rmSync(mailDir, { recursive: true, force: true });
  });

  function startWorker(): { child: ChildProcess; exited: Promise<unknown>; output: () => string } {
    const child = spawn(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'worker'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        VIGIE_DATA_DIR: mailDir,
        ...t.env,
        RESEND_API_KEY: 're_test_123',
        RESEND_BASE_URL: resend.url,
        VIGIE_SEND_RATE: '20',
        SITE_URL: 'https://status.example.com',
      },
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    return { child, exited, output: () => output };
  }

  it('resumes after a SIGKILL with every subscriber mailed exactly once', { timeout: 180_000 }, async () => {
    resend.slow(10_000, 300);
    const first = startWorker();
    // Wait until a third is out, then for a request to arrive: killed while it is in flight.
    let deadline = Date.now() + 60_000;
    while (resend.accepted.size < SUBSCRIBERS / 3) {
      if (Date.now() > deadline) throw new Error(`the first worker sent too little:\n${first.output()}`);
      await sleep(10);
    }
    const seen = resend.requests.length;
    while (resend.requests.length === seen) await sleep(1);
    first.child.kill('SIGKILL');
    await first.exited;
    const acceptedAtKill = resend.accepted.size;
    const requestsAtKill = resend.requests.length;
    expect(acceptedAtKill).toBeLessThan(SUBSCRIBERS);

    // The batches in flight at the kill (their requests reached the provider, their answers
    // never reached the worker): sent again, with the same key, by the second worker.
    const keysAtKill = new Set(resend.requests.slice(0, requestsAtKill).map((r) => r.idempotencyKey));
    const replays = () => resend.requests.slice(requestsAtKill).filter((r) => keysAtKill.has(r.idempotencyKey));

    const second = startWorker();
    // Everyone accepted, the held rows taken over once their 30 s claim ran out, and then
    // quiet for 2 s: the second worker has nothing left to do.
    deadline = Date.now() + 120_000;
    let quietSince = Date.now();
    let last = resend.requests.length;
    while (Date.now() < deadline) {
      await sleep(100);
      if (resend.requests.length !== last) {
        last = resend.requests.length;
        quietSince = Date.now();
      }
      if (resend.accepted.size === SUBSCRIBERS && replays().length > 0 && Date.now() - quietSince > 2_000) break;
    }
    second.child.kill('SIGTERM');
    await second.exited;

    // On failure, what both workers said and what the provider saw after the kill.
    const story = () =>
      `first worker:\n${first.output()}\nsecond worker:\n${second.output()}\nafter the kill:\n` +
      resend.requests
        .slice(requestsAtKill)
        .map((r) => `${r.status} ${r.emails} ${r.idempotencyKey}${keysAtKill.has(r.idempotencyKey) ? ' (replay)' : ''}`)
        .join('\n');
    expect(resend.accepted.size, story()).toBe(SUBSCRIBERS);
    expect(resend.duplicates(), story()).toEqual([]);
    expect(replays().length, story()).toBeGreaterThan(0);
    // The provider answered the replays from its idempotency store: nothing sent twice.
    expect(
      replays().map((r) => r.status),
      story(),
    ).toEqual(replays().map(() => 200));

    const h = await openDatabase({ databaseUrl: t.env.DATABASE_URL, dataDir: t.env.VIGIE_DATA_DIR });
    try {
      const rows = await queryRows<{ status: string; n: number }>(
        h.db,
        sql`select status, count(*)::int as n from email_deliveries group by status`,
      );
      expect(
        rows.map((r) => ({ status: r.status, n: Number(r.n) })),
        story(),
      ).toEqual([{ status: 'sent', n: SUBSCRIBERS }]);
    } finally {
      await h.close();
    }
    console.log(
      `[faults] worker kill: ${acceptedAtKill} of ${SUBSCRIBERS} accepted at the kill, ` +
        `${replays().length} batch(es) replayed with their key, ${resend.accepted.size} recipients, 0 duplicates`,
    );
  });
});
