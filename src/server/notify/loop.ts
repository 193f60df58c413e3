/**
 * The delivery loop: `runWorkerOnce` passes, paced to `sendRate` email API requests a second.
 *
 * Each pass first waits for its slot (notify/pacer.ts), then claims a batch and sends it at
 * once, so a claimed batch never sits waiting for the rate limit. Up to `lanes` passes run at
 * a time: while one is rendering or waiting for the provider's answer, the next slot's pass
 * already starts, which is what lets the worker use the whole allowed rate (one pass takes
 * longer than 1/rate at 20 requests a second). When a pass finds nothing to do, the loop
 * polls every `idleMs`. A 429's `retry-after` or `ratelimit-remaining: 0` pauses every lane.
 * Several processes may each run one: claims use SKIP LOCKED (each paces itself).
 */
import type { Db } from '../../db/client.ts';
import type { Mailer } from './mailer.ts';
import { createPacer } from './pacer.ts';
import { runWorkerOnce, type WorkerResult } from './worker.ts';

export type WorkerLoop = { stop(): Promise<void> };

export type WorkerLoopOptions = {
  mailer: Mailer;
  siteUrl: string;
  /** Batch requests per second (VIGIE_SEND_RATE). */
  sendRate: number;
  idleMs?: number;
  /** Emails per request (at most 100, the default). */
  batchSize?: number;
  /** Passes in flight at once; by default enough for a pass of up to 200 ms at the rate (2–8). */
  lanes?: number;
  onPass?: (result: WorkerResult) => void;
  onError?: (err: unknown) => void;
};

export function startWorkerLoop(db: Db, options: WorkerLoopOptions): WorkerLoop {
  const idleMs = options.idleMs ?? 1_000;
  const lanes = options.lanes ?? Math.min(8, Math.max(2, Math.ceil(options.sendRate / 5)));
  const pacer = createPacer({ rate: options.sendRate });
  const onError = options.onError ?? ((e: unknown) => console.error('[vigie] delivery worker:', e));
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  let idle = false;
  let sawWork = false;
  let wake: (() => void) | undefined;

  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function pass(): Promise<void> {
    try {
      const r = await runWorkerOnce(db, {
        mailer: options.mailer,
        siteUrl: options.siteUrl,
        batchSize: options.batchSize,
      });
      options.onPass?.(r);
      if (r.backoffMs !== null) pacer.pause(r.backoffMs);
      pacer.observe(r.rateLimit);
      if (r.claimed === 0 && r.outboxRows === 0 && r.confirmations === 0) idle = true;
      else sawWork = true;
    } catch (err) {
      onError(err);
      idle = true; // a failing database is not polled flat out
    }
  }

  async function run(): Promise<void> {
    while (!stopped) {
      if (idle) {
        idle = false;
        sawWork = false;
        // A pass still in flight may have found work (a long fan-out, say): then no nap.
        await Promise.all(inFlight);
        if (!sawWork && !stopped) await nap(idleMs);
        continue;
      }
      while (inFlight.size >= lanes) await Promise.race(inFlight);
      await pacer.acquire();
      if (stopped) break;
      const p: Promise<void> = pass().finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  }

  const running = run();
  return {
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
