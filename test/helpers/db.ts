/**
 * Test databases. With DATABASE_URL, every call makes its own fresh Postgres database (suites
 * never share rows); without it, a fresh PGlite, in memory or in a temporary folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'drizzle-orm/logger';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.ts';
import { newId } from '../../src/server/ids.ts';

export type TestDatabase = {
  handle: DatabaseHandle;
  /** The env a server process needs to open the same database. */
  env: { DATABASE_URL?: string; VIGIE_DATA_DIR?: string; VIGIE_SECRET_KEY?: string };
  /** Closes the handle (PGlite: frees the folder for a server process); the data stays until drop(). */
  close(): Promise<void>;
  drop(): Promise<void>;
};

export const usingPostgres = Boolean(process.env.DATABASE_URL);

/**
 * The key that encrypts stored secrets (src/server/secrets.ts), the same for the test
 * process and every server or CLI it starts (they get it through `env`): with DATABASE_URL
 * Vigie refuses to start without one. Fixed, so a failure replays.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
process.env.VIGIE_SECRET_KEY ??= TEST_SECRET_KEY;

/**
 * A new, empty database, migrated unless `migrate: false` (upgrade tests apply an older set
 * themselves). `onDisk` makes PGlite use a folder, so another process can open it after close().
 */
/**
 * The PostgreSQL server of the run: DATABASE_URL's, or the local one CI always starts
 * (.ci/run). The tests of PostgreSQL's own faults (a connection cut, its sessions killed)
 * use it in the PGlite run too, rather than being skipped there.
 */
export const POSTGRES_SERVER = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export async function createTestDatabase(
  options: {
    onDisk?: boolean;
    logger?: Logger;
    migrate?: boolean;
    /** A PostgreSQL server to use whatever the run's mode (POSTGRES_SERVER): for faults only PostgreSQL has. */
    postgres?: string;
  } = {},
): Promise<TestDatabase> {
  const migrate = options.migrate ?? true;
  const base = options.postgres ?? process.env.DATABASE_URL;
  if (base) {
    const name = `vigie_t_${newId()}`;
    const admin = postgres(base, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    await admin.end();
    const url = new URL(base);
    url.pathname = `/${name}`;
    const handle = await openDatabase({ databaseUrl: url.toString(), logger: options.logger, max: 4 });
    if (migrate) await handle.migrate();
    const close = closeOnce(handle);
    return {
      handle,
      env: { DATABASE_URL: url.toString(), VIGIE_SECRET_KEY: process.env.VIGIE_SECRET_KEY },
      close,
      async drop() {
        await close();
        const dropper = postgres(base, { max: 1, onnotice: () => {} });
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
        await dropper.end();
      },
    };
  }
  const dir = options.onDisk ? mkdtempSync(path.join(tmpdir(), 'vigie-test-')) : undefined;
  const handle = await openDatabase({ dataDir: dir ?? 'memory://', logger: options.logger });
  if (migrate) await handle.migrate();
  const close = closeOnce(handle);
  return {
    handle,
    env: dir
      ? { VIGIE_DATA_DIR: dir, VIGIE_SECRET_KEY: process.env.VIGIE_SECRET_KEY }
      : { VIGIE_SECRET_KEY: process.env.VIGIE_SECRET_KEY },
    close,
    async drop() {
      await close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function closeOnce(handle: DatabaseHandle): () => Promise<void> {
  let closed: Promise<void> | undefined;
  return () => (closed ??= handle.close());
}
