/**
 * Fault (d): the disk of the mail sink (no RESEND_API_KEY: each email an `.eml` file) fills up
 * in the middle of a batch.
 *
 * As root (CI's machine), the sink lives on a 2 MB tmpfs that a filler file fills to the
 * brim: the writes really fail with ENOSPC, part-way through a message. Where mounting is not
 * allowed, the same test runs with node:fs/promises' writeFile failing with ENOSPC into the
 * sink's folder while the "disk" is full (the mode is printed). Either way: the batch is
 * reported (pending, with the reason on the delivery, as the admin's deliveries page shows
 * it), nothing half-written reaches the sink, nothing is given up on, and once there is room
 * every subscriber gets exactly one email.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { and, eq, sql } from 'drizzle-orm';
import { emailDeliveries, outbox, subscribers } from '../../src/db/schema/index.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { comms } from '../helpers/principals.ts';
import { createMailer, SINK_FULL_RETRY_S } from '../../src/server/notify/mailer.ts';
import { MAX_ATTEMPTS, runWorkerOnce } from '../../src/server/notify/worker.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { readSink } from '../helpers/mail.ts';
import { addSubscribers } from '../helpers/subscribers.ts';

/** The simulated full disk, for machines where a tmpfs cannot be mounted. */
const simulated = vi.hoisted(() => ({ fullUnder: null as string | null }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const writeFile: typeof real.writeFile = async (file, data, options) => {
    if (simulated.fullUnder && String(file).startsWith(simulated.fullUnder)) {
      throw Object.assign(new Error(`ENOSPC: no space left on device, write '${String(file)}'`), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'write',
      });
    }
    return real.writeFile(file, data, options);
  };
  return { ...real, writeFile, default: { ...real, writeFile } };
});

const SUBSCRIBERS = 150;
const SITE = 'https://status.example.com';

/** A tmpfs of `size` at `dir`, if this process may mount one. */
function mountTmpfs(dir: string, size: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('fault: the mail sink’s disk is full', () => {
  let t: TestDatabase;
  let dataDir: string;
  let mounted = false;
  const filler = () => path.join(dataDir, 'filler');

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-full-'));
    mounted = mountTmpfs(dataDir, '2m');
    console.log(`[faults] disk full: ${mounted ? 'a real 2 MB tmpfs' : 'simulated ENOSPC (no mount allowed)'}`);
    t = await createTestDatabase();
    const component = await createComponent(t.handle.db, SYSTEM_ACTOR, { name: 'API' });
    await addSubscribers(
      t.handle.db,
      Array.from({ length: SUBSCRIBERS }, (_, i) => ({ email: `full${i}@example.com` })),
    );
    await createIncident(t.handle.db, SYSTEM_ACTOR, {
      name: 'API errors',
      status: 'investigating',
      severity: 2,
      body: 'Looking into it.',
      components: { [component.id]: 'major_outage' },
    });
  });
  afterAll(async () => {
    simulated.fullUnder = null;
    await t?.drop();
    if (mounted) execFileSync('umount', [dataDir]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Fills the disk but for `leave` bytes (a few messages' worth, so a batch fails part-way). */
  function fillDisk(leave: number) {
    if (!mounted) {
      simulated.fullUnder = dataDir;
      return;
    }
    mkdirSync(path.join(dataDir, 'mail', '.staging'), { recursive: true });
    mkdirSync(path.join(dataDir, 'mail', '.batches'), { recursive: true });
    const { bavail, bsize } = statfsSync(dataDir);
    writeFileSync(filler(), Buffer.alloc(Math.max(0, bavail * bsize - leave)));
  }
  function freeDisk() {
    simulated.fullUnder = null;
    rmSync(filler(), { force: true });
  }

  it('reports the batch, writes no partial message, loses nothing, and delivers once when there is room', async () => {
    const db = t.handle.db;
    const mailer = createMailer({ dataDir, from: 'Acme <status@example.com>' });
    const start = new Date();
    fillDisk(20_000);

    // Full: several passes over "ten minutes", longer than every retry would take if the
    // attempts counted (8 attempts, about 4 minutes of backoff).
    let now = start;
    for (let pass = 0; pass < 2 * MAX_ATTEMPTS; pass++) {
      const r = await runWorkerOnce(db, { mailer, siteUrl: SITE, now });
      if (r.claimed) {
        expect(r.sent).toBe(0);
        expect(r.failed).toBe(0);
        expect(r.backoffMs).toBe(SINK_FULL_RETRY_S * 1000);
      }
      now = new Date(now.getTime() + SINK_FULL_RETRY_S * 1000);
    }
    const waiting = await db.select().from(emailDeliveries);
    expect(waiting).toHaveLength(SUBSCRIBERS);
    expect(waiting.every((d) => d.status === 'pending' && d.attempts === 0)).toBe(true);
    // Reported: the reason, as the admin's deliveries page lists it (last error).
    const claimed = waiting.filter((d) => d.lastError);
    expect(claimed.length).toBeGreaterThan(0);
    for (const d of claimed) expect(d.lastError).toMatch(/out of disk space.*ENOSPC/);
    // Nothing half-written in the sink, nothing left staged.
    expect(readSink(dataDir)).toEqual([]);
    if (mounted) expect(readdirSync(path.join(dataDir, 'mail', '.staging'))).toEqual([]);

    freeDisk();
    for (let pass = 0; pass < 20; pass++) {
      await runWorkerOnce(db, { mailer, siteUrl: SITE, now });
      now = new Date(now.getTime() + SINK_FULL_RETRY_S * 1000);
    }
    const rows = await db.select().from(emailDeliveries);
    expect(rows.filter((d) => d.status !== 'sent')).toEqual([]);
    const mail = readSink(dataDir);
    const recipients = mail.map((m) => m.headers.to);
    expect(recipients).toHaveLength(SUBSCRIBERS);
    expect(new Set(recipients).size).toBe(SUBSCRIBERS);
    // Every file is a whole message.
    for (const m of mail) expect(m.raw.trimEnd().endsWith('--')).toBe(true);
  });

  it('keeps a confirmation email for a subscriber staff added until there is room, and sends it once', async () => {
    const db = t.handle.db;
    const mailer = createMailer({ dataDir, from: 'Acme <status@example.com>' });
    await createSubscriber(db, comms, { email: 'added-while-full@example.com', confirmed: false });
    const queued = () =>
      db
        .select()
        .from(outbox)
        .where(and(eq(outbox.topic, 'subscriber.confirm'), eq(sql`${outbox.payload}->>'subscriberId'`, added.id)));
    const [added] = await db.select().from(subscribers).where(eq(subscribers.email, 'added-while-full@example.com'));
    fillDisk(0);
    let now = new Date(Date.now() + 60_000);
    for (let pass = 0; pass < 2 * MAX_ATTEMPTS; pass++) {
      expect((await runWorkerOnce(db, { mailer, siteUrl: SITE, now })).confirmations).toBe(0);
      now = new Date(now.getTime() + 5 * 60_000);
    }
    const [waiting] = await queued();
    expect(waiting).toMatchObject({ processedAt: null, attempts: 0 });
    expect(waiting.lastError).toMatch(/out of disk space/);
    freeDisk();
    expect((await runWorkerOnce(db, { mailer, siteUrl: SITE, now })).confirmations).toBe(1);
    await runWorkerOnce(db, { mailer, siteUrl: SITE, now: new Date(now.getTime() + 5 * 60_000) });
    expect(readSink(dataDir).filter((m) => m.headers.to === 'added-while-full@example.com')).toHaveLength(1);
    expect((await queued())[0].processedAt).not.toBeNull();
  });
});
