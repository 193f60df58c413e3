/**
 * The process-wide application: configuration and the open database. Opened lazily on first
 * use and shared by every request; a failed open (database down at boot) is retried on the
 * next call rather than cached.
 */
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type DatabaseHandle, type Db } from '../db/client.ts';
import { startBackgroundWork, type BackgroundWork } from './background.ts';
import { createMailer, type Mailer } from './notify/mailer.ts';
import { log } from './log.ts';
import { sealStoredSecrets } from './seal-secrets.ts';
import { MissingSecretKeyError } from './secrets.ts';
import { frontRegistry } from './snapshot/registry.ts';
import { loopbackRender, startSnapshotService, type SnapshotService } from './snapshot/service.ts';
import { ensureFirstAdmin } from './users/service.ts';

export type App = {
  config: Config;
  db: Db;
  database: DatabaseHandle;
  mailer: Mailer;
  /** The delivery loop and the schedule, when VIGIE_WORKER=1. */
  worker: BackgroundWork | null;
  /** The public snapshot's builder, when the front server runs (src/cli/serve.ts). */
  snapshot: SnapshotService | null;
};

const KEY = Symbol.for('vigie.app');
type Holder = { [KEY]?: Promise<App> };

/** The shared App; migrations are applied once when it opens. */
export function getApp(): Promise<App> {
  const holder = globalThis as Holder;
  holder[KEY] ??= openApp().catch((err) => {
    delete holder[KEY];
    throw err;
  });
  return holder[KEY];
}

async function openApp(): Promise<App> {
  const config = loadConfig();
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    await database.migrate();
    await sealStoredSecrets(database.db).catch((err: unknown) => {
      // Without a key (DATABASE_URL alone, entry.mjs run directly) the pages still serve;
      // webhooks and manage links fail with this same message. `vigie serve` refuses to start.
      if (!(err instanceof MissingSecretKeyError)) throw err;
      log.error(err.message);
    });
    await ensureFirstAdmin(database.db, config);
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
  const mailer = createMailer({ apiKey: config.resendApiKey, dataDir: config.dataDir, from: config.emailFrom });
  const worker = config.worker ? startBackgroundWork(database.db, config, mailer) : null;
  const front = frontRegistry();
  const snapshot = front
    ? startSnapshotService({
        database,
        store: front.store,
        render: loopbackRender(front.origin, front.token),
        refreshMs: config.snapshotRefresh * 1000,
      })
    : null;
  if (front) front.service = snapshot!;
  return { config, db: database.db, database, mailer, worker, snapshot };
}

/** Closes the shared App, if open (tests, shutdown). */
export async function closeApp(): Promise<void> {
  const holder = globalThis as Holder;
  const app = holder[KEY];
  delete holder[KEY];
  if (!app) return;
  const opened = await app;
  await opened.snapshot?.stop();
  await opened.worker?.stop();
  await opened.database.close();
}
