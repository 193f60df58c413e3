/**
 * The one place that knows there are two database modes: postgres.js when DATABASE_URL is
 * set, embedded PGlite in VIGIE_DATA_DIR otherwise. Everything else takes a `Db`.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type SQL } from 'drizzle-orm';
import type { Logger } from 'drizzle-orm/logger';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm/relations';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** A database or a transaction: every query function takes one of these first. */
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type DatabaseKind = 'postgres' | 'pglite';

export type DatabaseHandle = {
  db: Db;
  kind: DatabaseKind;
  /** Where it lives, without credentials: for logs. */
  label: string;
  close(): Promise<void>;
  /** Applies the pending migrations of `folder` (default: migrationsFolder()). */
  migrate(options?: { folder?: string }): Promise<void>;
  /**
   * Calls `onNotify` on each NOTIFY on `channel`, and `onListen` each time the listening
   * connection is (re)established: notifications sent while it was down are lost, so a
   * listener should catch up then. Resolves to a function that stops listening.
   */
  listen(channel: string, onNotify: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
};

export type OpenOptions = {
  databaseUrl?: string;
  /** PGlite folder; `memory://` for a throwaway in-memory database (tests). */
  dataDir?: string;
  logger?: Logger;
  /** postgres.js pool size. */
  max?: number;
};

/** Opens the database named by the options: postgres.js for a URL, PGlite otherwise. */
export async function openDatabase(options: OpenOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options.dataDir ?? './data', options);
}

async function openPostgres(url: string, options: OpenOptions): Promise<DatabaseHandle> {
  const { default: postgres } = await import('postgres');
  const { drizzle } = await import('drizzle-orm/postgres-js');
  const client = postgres(url, {
    max: options.max ?? 10,
    connect_timeout: 5,
    idle_timeout: 60,
    // postgres.js waits up to 20 s between reconnection attempts (3^n/100 s, n counting every
    // failed connection of the pool): a one-second outage with a few callers left the app
    // unable to write for 10–20 s after Postgres was back (faults-db-cut.test.ts). At most
    // ~1 s between attempts, with jitter, is cheap for a server that is down anyway.
    backoff: (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.1 * 2 ** retries, 1),
    onnotice: () => {},
  });
  const db = drizzle({ client, schema, logger: options.logger }) as unknown as Db;
  const label = redactUrl(url);
  return {
    db,
    kind: 'postgres',
    label,
    close: () => client.end({ timeout: 5 }),
    async listen(channel, onNotify, onListen) {
      // postgres.js keeps a dedicated connection for it and listens again after a reconnect.
      const request = await client.listen(channel, onNotify, onListen);
      return () => request.unlisten();
    },
    async migrate({ folder = migrationsFolder() } = {}) {
      // A dedicated single connection, so the advisory lock and the migrations share a session:
      // two instances starting together must not apply the same migration twice.
      const one = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        const { migrate } = await import('drizzle-orm/postgres-js/migrator');
        await one`select pg_advisory_lock(${MIGRATION_LOCK})`;
        await migrate(drizzle({ client: one }), { migrationsFolder: folder });
        await one`select pg_advisory_unlock(${MIGRATION_LOCK})`;
      } finally {
        await one.end({ timeout: 5 });
      }
    },
  };
}

const MIGRATION_LOCK = 727_001;

async function openPglite(dataDir: string, options: OpenOptions): Promise<DatabaseHandle> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { drizzle } = await import('drizzle-orm/pglite');
  const inMemory = dataDir.startsWith('memory://');
  let release = () => {};
  let dbDir: string | undefined;
  if (!inMemory) {
    const dir = path.resolve(dataDir);
    mkdirSync(dir, { recursive: true });
    release = lockDataDir(dir);
    dbDir = path.join(dir, 'pglite');
  }
  let client;
  try {
    client = dbDir ? await PGlite.create(dbDir) : await PGlite.create();
  } catch (err) {
    release();
    throw new Error(`Could not open the embedded database in ${dbDir ?? 'memory'}`, { cause: err });
  }
  const db = drizzle({ client, schema, logger: options.logger }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    label: dbDir ? `PGlite in ${dbDir}` : 'PGlite in memory',
    async close() {
      try {
        await client.close();
      } finally {
        release();
      }
    },
    async listen(channel, onNotify, onListen) {
      // One process, one connection: it cannot drop, so onListen runs once.
      const stop = await client.listen(channel, onNotify);
      onListen?.();
      return () => stop();
    },
    async migrate({ folder = migrationsFolder() } = {}) {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      // PGlite runs one query at a time in one process, so no lock is needed.
      await migrate(db as never, { migrationsFolder: folder });
    },
  };
}

/**
 * PGlite is a single-process database: a second process opening the same folder would
 * corrupt it. A lock file with our PID makes the second one fail with a clear message.
 */
function lockDataDir(dir: string): () => void {
  const lockPath = path.join(dir, 'vigie.lock');
  if (existsSync(lockPath)) {
    const pid = Number(readFileSync(lockPath, 'utf8').trim());
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new Error(
        `The embedded database in ${dir} is already open in another Vigie process (pid ${pid}). ` +
          'Only one process may open it: stop that process first, or run Vigie on PostgreSQL with DATABASE_URL.',
      );
    }
  }
  writeFileSync(lockPath, String(process.pid));
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) rmSync(lockPath);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.on('exit', release);
  return release;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The drizzle/ folder: found upwards from this file, so it works from src/ (CLI, tests)
 * and from dist/server/ (the built server) alike; VIGIE_MIGRATIONS_DIR overrides it.
 */
export function migrationsFolder(): string {
  if (process.env.VIGIE_MIGRATIONS_DIR) return path.resolve(process.env.VIGIE_MIGRATIONS_DIR);
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'drizzle');
    if (existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return path.resolve('drizzle');
}

/**
 * Runs raw SQL and returns its rows, hiding the drivers' result shapes: postgres.js
 * answers an array, PGlite `{ rows }`.
 */
export async function queryRows<T extends Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  if (Array.isArray(result)) return result as T[];
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

/** True when the database answers a trivial query. */
export async function ping(db: Db): Promise<boolean> {
  try {
    await queryRows(db, sql`select 1 as ok`);
    return true;
  } catch {
    return false;
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}
