/**
 * The delivery loop: two tasks on one database.
 *
 * - The outbox task fans published updates out (a chunk of subscribers a pass) and sends the
 *   confirmation emails of subscribers staff added, back to back while there is work, every
 *   `idleMs` otherwise. It is not paced: it queues, it does not call the email API (but for
 *   the rare confirmation email).
 * - The send lanes: each pass first waits for its slot (notify/pacer.ts), then claims a batch
 *   and sends it at once, so a claimed batch never sits waiting for the rate limit. Up to
 *   `lanes` passes run at a time: while one is rendering or waiting for the provider's answer,
 *   the next slot's pass already starts, which is what lets the worker use the whole allowed
 *   rate. When a pass finds nothing to send, the lanes wait `idleMs`, or until the outbox task
 *   queues something. A 429's `retry-after` or `ratelimit-remaining: 0` pauses every lane.
 *
 * - The webhook task sends outgoing webhooks (webhooks/worker.ts), back to back while there
 *   are due deliveries, every `idleMs` otherwise or when the outbox task queues some. It is
 *   not paced by the email rate.
 *
 * Several processes may each run one: claims use SKIP LOCKED (each paces itself).
 */
import type { Db } from '../../db/client.ts';
import type { Mailer } from './mailer.ts';
import { createPacer } from './pacer.ts';
import { runWorkerOnce, type WorkerResult } from './worker.ts';
import { sendWebhooks } from '../webhooks/worker.ts';
import { log } from '../log.ts';

export type WorkerLoop = { stop(): Promise<void> };

export type WorkerLoopOptions = {
  mailer: Mailer;
  siteUrl: string;
  /** Batch requests per second (VIGIE_SEND_RATE). */
  sendRate: number;
  idleMs?: number;
  /** Emails per request (at most 100, the default). */
  batchSize?: number;
  /** Passes in flight at once; by default enough for a pass of up to 400 ms at the rate (2–8). */
  lanes?: number;
  onPass?: (result: WorkerResult) => void;
  onError?: (err: unknown) => void;
};

/** A sleep that `wake()` ends early. */
function alarm() {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}

export function startWorkerLoop(db: Db, options: WorkerLoopOptions): WorkerLoop {
  const idleMs = options.idleMs ?? 1_000;
  const lanes = options.lanes ?? Math.min(8, Math.max(2, Math.ceil(options.sendRate / 2.5)));
  const pacer = createPacer({ rate: options.sendRate });
  const onError = options.onError ?? ((err: unknown) => log.error('delivery worker failed', { err }));
  const base = { mailer: options.mailer, siteUrl: options.siteUrl, batchSize: options.batchSize };
  const outboxAlarm = alarm();
  const sendAlarm = alarm();
  const webhookAlarm = alarm();
  let stopped = false;

  async function outboxTask(): Promise<void> {
    while (!stopped) {
      let busy = false;
      try {
        const r = await runWorkerOnce(db, { ...base, steps: 'outbox' });
        options.onPass?.(r);
        busy = r.outboxRows > 0 || r.confirmations > 0 || r.webhooks.events > 0;
        if (r.fannedOut > 0) sendAlarm.wake();
        if (r.webhooks.queued > 0) webhookAlarm.wake();
      } catch (err) {
        onError(err); // a failing database is not polled flat out
      }
      if (!busy && !stopped) await outboxAlarm.sleep(idleMs);
    }
  }

  async function sendTask(): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    let idle = false;
    let sawWork = false;
    const pass = async () => {
      try {
        const r = await runWorkerOnce(db, { ...base, steps: 'send' });
        options.onPass?.(r);
        if (r.backoffMs !== null) pacer.pause(r.backoffMs);
        pacer.observe(r.rateLimit);
        if (r.claimed === 0) idle = true;
        else sawWork = true;
      } catch (err) {
        onError(err);
        idle = true;
      }
    };
    while (!stopped) {
      if (idle) {
        idle = false;
        sawWork = false;
        // A pass still in flight may have found work: then no nap.
        await Promise.all(inFlight);
        if (!sawWork && !stopped) await sendAlarm.sleep(idleMs);
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

  async function webhookTask(): Promise<void> {
    while (!stopped) {
      let busy = false;
      try {
        busy = (await sendWebhooks(db)).claimed > 0;
      } catch (err) {
        onError(err);
      }
      if (!busy && !stopped) await webhookAlarm.sleep(idleMs);
    }
  }

  const running = Promise.all([outboxTask(), sendTask(), webhookTask()]);
  return {
    async stop() {
      stopped = true;
      outboxAlarm.wake();
      sendAlarm.wake();
      webhookAlarm.wake();
      await running;
    },
  };
}
