/**
 * What runs beside the web server (or alone, `npm run vigie -- worker`): the email delivery
 * loop, and every 30 s the maintenance schedule (auto start and complete, 60-minute
 * reminders), and hourly the pruning of old outbox records. Every instance may run them;
 * the work is shared through row locks.
 */
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import { startWorkerLoop } from './notify/loop.ts';
import type { Mailer } from './notify/mailer.ts';
import { runMaintenanceSchedule } from './maintenances/scheduler.ts';
import { pruneOutbox } from './outbox/service.ts';
import { log as logger } from './log.ts';

export type BackgroundWork = { stop(): Promise<void> };

export type BackgroundOptions = {
  /** Log each fan-out as a JSON line (the worker command does). */
  log?: (line: Record<string, unknown>) => void;
  /** How often the maintenance schedule runs (ms). */
  scheduleMs?: number;
};

export function startBackgroundWork(
  db: Db,
  config: Config,
  mailer: Mailer,
  options: BackgroundOptions = {},
): BackgroundWork {
  const log = options.log;
  const loop = startWorkerLoop(db, {
    mailer,
    siteUrl: config.siteUrl,
    sendRate: config.sendRate,
    onPass: log
      ? (r) => {
          if (r.fannedOut > 0) log({ event: 'fanout', deliveries: r.fannedOut, ms: Math.round(r.fanOutMs) });
          if (r.failed > 0) log({ event: 'failed', deliveries: r.failed });
          if (r.backoffMs !== null) log({ event: 'backoff', deliveries: r.retried, ms: r.backoffMs });
        }
      : undefined,
  });
  let scheduling: Promise<void> = Promise.resolve();
  const schedule = () => {
    scheduling = runMaintenanceSchedule(db).then(
      (r) => {
        if (log && (r.started.length || r.completed.length || r.reminders)) log({ event: 'maintenance', ...r });
      },
      (err: unknown) => logger.error('maintenance schedule failed', { err }),
    );
  };
  schedule();
  const timer = setInterval(schedule, options.scheduleMs ?? 30_000);
  timer.unref();
  // Hourly: the records of old snapshot invalidations (one per public change) go.
  let pruning: Promise<unknown> = Promise.resolve();
  const prune = () => {
    pruning = pruneOutbox(db).catch((err: unknown) => logger.error('outbox prune failed', { err }));
  };
  prune();
  const pruneTimer = setInterval(prune, 3_600_000);
  pruneTimer.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearInterval(pruneTimer);
      await Promise.all([loop.stop(), scheduling, pruning]);
    },
  };
}
