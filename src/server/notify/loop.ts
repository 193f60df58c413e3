/**
 * The in-process delivery loop: runs `runWorkerOnce` every second while idle, and paced to
 * `sendRate` batch requests a second while there is work, waiting longer when the provider
 * asked to slow down. Several app instances may each run one: claims use SKIP LOCKED.
 */
import type { Db } from '../../db/client.ts';
import type { Mailer } from './mailer.ts';
import { runWorkerOnce } from './worker.ts';

export type WorkerLoop = { stop(): Promise<void> };

export type WorkerLoopOptions = {
  mailer: Mailer;
  siteUrl: string;
  /** Batch requests per second (VIGIE_SEND_RATE). */
  sendRate: number;
  idleMs?: number;
  onError?: (err: unknown) => void;
};

export function startWorkerLoop(db: Db, options: WorkerLoopOptions): WorkerLoop {
  const idleMs = options.idleMs ?? 1_000;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const schedule = (ms: number) => {
    if (!stopped) timer = setTimeout(() => void (running = pass()), ms);
  };
  async function pass(): Promise<void> {
    let wait = idleMs;
    try {
      const r = await runWorkerOnce(db, { mailer: options.mailer, siteUrl: options.siteUrl });
      if (r.backoffMs !== null) wait = Math.min(r.backoffMs, 60_000);
      else if (r.claimed > 0 || r.fannedOut > 0) wait = 1_000 / options.sendRate;
    } catch (err) {
      (options.onError ?? ((e) => console.error('[vigie] delivery worker:', e)))(err);
    }
    schedule(wait);
  }
  schedule(0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
