/**
 * The CLI as a person or a script runs it: `node scripts/vigie.mjs …` in a child process,
 * against the test database.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.ts';
import { apiTokens, subscribers, users } from '../../src/db/schema/index.ts';
import { createComponent } from '../../src/server/components/service.ts';
import { SYSTEM_ACTOR } from '../../src/server/audit/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { hashSecret, newId, newSecret } from '../../src/server/ids.ts';
import { verifyPassword } from '../../src/server/users/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { decodeHeader, readSink } from '../helpers/mail.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ onDisk: true });
  // The CLI opens the database itself; PGlite allows one process at a time.
  await t.close();
});
afterAll(() => t.drop());

async function vigie(...args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(root, 'scripts/vigie.mjs'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH, ...t.env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function withDb<T>(fn: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>): Promise<T> {
  const h = await openDatabase({ databaseUrl: t.env.DATABASE_URL, dataDir: t.env.VIGIE_DATA_DIR });
  try {
    return await fn(h.db);
  } finally {
    await h.close();
  }
}

describe('vigie CLI', () => {
  it('migrate applies migrations and says where', async () => {
    const r = await vigie('migrate');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Migrations applied/);
  });

  it('user:add without --password prints a generated password alone on the last line', async () => {
    const r = await vigie('user:add', '--email', 'Lead@Example.com', '--role', 'comms', '--name', 'Lea');
    expect(r.code).toBe(0);
    const password = r.stdout.trim().split('\n').at(-1)!;
    expect(password).toMatch(/^\S{20}$/);
    const user = await withDb(
      async (db) => (await db.select().from(users).where(eq(users.email, 'lead@example.com')))[0],
    );
    expect(user.role).toBe('comms');
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(user.passwordHash, password)).toBe(true);
  });

  it('user:add rejects a bad role and a duplicate email with a clear message', async () => {
    const bad = await vigie('user:add', '--email', 'x@example.com', '--role', 'root');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Role must be one of/);
    const dup = await vigie(
      'user:add',
      '--email',
      'lead@example.com',
      '--role',
      'viewer',
      '--password',
      'a-long-enough-password',
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists/);
    const missing = await vigie('user:add', '--email', 'y@example.com');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/needs --email and --role/);
  });

  it('token:add prints the token once, on the last line, and stores only its hash', async () => {
    const r = await vigie('token:add', '--name', 'Monitoring', '--role', 'responder');
    expect(r.code).toBe(0);
    const token = r.stdout.trim().split('\n').at(-1)!;
    expect(token).toMatch(/^vigie_[A-Za-z0-9_-]{43}$/);
    const rows = await withDb((db) => db.select().from(apiTokens));
    expect(rows).toHaveLength(1);
    expect(rows[0].tokenHash).toBe(hashSecret(token));
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('demo:seed loads content once and refuses a second time', async () => {
    const first = await vigie('demo:seed');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/12 components/);
    const second = await vigie('demo:seed');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/empty/);
  });

  it('worker sends the queued emails, logs the fan-out as JSON, and stops cleanly on SIGTERM', async () => {
    await withDb(async (db) => {
      const component = await createComponent(db, SYSTEM_ACTOR, { name: 'Worker CLI component' });
      await db.insert(subscribers).values({
        id: newId(),
        email: 'worker-cli@example.com',
        allComponents: true,
        confirmedAt: new Date(),
        manageTokenHash: hashSecret(newSecret()),
      });
      await createIncident(db, SYSTEM_ACTOR, {
        name: 'Worker CLI check',
        status: 'investigating',
        severity: 3,
        body: 'Checking the worker command.',
        components: { [component.id]: 'degraded_performance' },
      });
    });
    const mailDir = mkdtempSync(path.join(tmpdir(), 'vigie-cli-mail-'));
    const dataDir = t.env.VIGIE_DATA_DIR ?? mailDir;
    const child = spawn(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'worker'], {
      cwd: root,
      env: { PATH: process.env.PATH, VIGIE_DATA_DIR: mailDir, ...t.env, VIGIE_SEND_RATE: '10' },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      // (The demo content's own updates, queued by demo:seed, reach this subscriber too.)
      const sink = () =>
        readSink(dataDir).filter((m) => decodeHeader(m.headers.subject ?? '').includes('Worker CLI check'));
      while (Date.now() < deadline && sink().length === 0) await new Promise((r) => setTimeout(r, 100));
      expect(sink()).toHaveLength(1);
      // The worker logs JSON lines only (src/server/log.ts).
      const lines = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: string; msg: string; event?: string; deliveries?: number });
      expect(lines.some((l) => l.level === 'info' && l.msg.startsWith('Vigie worker on '))).toBe(true);
      const fanout = lines.find((e) => e.event === 'fanout');
      expect(fanout?.deliveries).toBeGreaterThanOrEqual(1);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/Stopping/);
    rmSync(mailDir, { recursive: true, force: true });
  });

  it('worker logs a crash outside any request as one JSON error line, redacted, and exits 1', async () => {
    // A timer that throws once the worker runs, loaded before the CLI: an uncaught exception.
    // (The token is put together at run time: the stack names the module, whose URL is its source.)
    const boom = `setTimeout(() => { throw new Error('boom at /subscribe/confirm?token=' + ['s3cr3t', 'value'].join('-')) }, 3000)`;
    const r = await run(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(boom)}`, path.join(root, 'scripts/vigie.mjs'), 'worker'],
      { cwd: root, env: { PATH: process.env.PATH, ...t.env }, timeout: 60_000 },
    ).then(
      (ok) => ({ code: 0, ...ok }),
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(r.code).toBe(1);
    const lines = r.stderr.split('\n').filter(Boolean);
    const last = JSON.parse(lines.at(-1)!) as { level: string; msg: string; err: { message: string } };
    expect(last).toMatchObject({ level: 'error', msg: 'Uncaught exception' });
    expect(last.err.message).toContain('boom at /subscribe/confirm?token=[redacted]');
    expect(r.stderr + r.stdout).not.toContain('s3cr3t-value');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });

  it('serve and worker refuse to start on PostgreSQL without VIGIE_SECRET_KEY, saying how to make one', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-cli-nokey-'));
    try {
      for (const command of ['serve', 'worker']) {
        const r = await run(process.execPath, [path.join(root, 'scripts/vigie.mjs'), command], {
          cwd: root,
          // The refusal comes before any connection: this address is never tried.
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
            VIGIE_DATA_DIR: dataDir,
          },
          timeout: 20_000,
        }).then(
          () => ({ code: 0, stderr: '' }),
          (err: { code: number; stderr: string }) => err,
        );
        expect(r.code, command).toBe(1);
        const line = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { level: string; msg: string };
        expect(line.level).toBe('error');
        expect(line.msg).toMatch(/^VIGIE_SECRET_KEY is not set/);
        expect(line.msg).toContain('openssl rand -base64 32');
      }
      // No key was made on the side, where the next start would not find it.
      expect(existsSync(path.join(dataDir, 'secret.key'))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const r = await vigie('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/user:add --email E --role R/);
  });
});
