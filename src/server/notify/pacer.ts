/**
 * Pacing of the email API requests: at most `rate` request starts a second, evenly spaced
 * (a slot every 1/rate s; a slot missed by less than one interval is still taken, but idle
 * time is never made up: at most rate × t + 1 requests in any t seconds, give or take the
 * one late slot), and a pause
 * when the provider says so: `retry-after` on a 429, or `ratelimit-remaining: 0` with its
 * `ratelimit-reset`. Shared by every lane of one worker; each process paces itself, so
 * VIGIE_SEND_RATE is per process (README "Notifications").
 */

export type RateLimitInfo = {
  /** `ratelimit-remaining`: requests left in the provider's current window. */
  remaining: number | null;
  /** `ratelimit-reset` (or `retry-after`), in ms from now: when the window resets. */
  resetMs: number | null;
};

export type Pacer = {
  /** Resolves at the caller's slot; the slots of concurrent callers are one interval apart. */
  acquire(): Promise<void>;
  /** No slot starts before `ms` from now. */
  pause(ms: number): void;
  /** Adapts to what the provider's answer said of its rate limit. */
  observe(info: RateLimitInfo | null): void;
  /** The interval between slots, in ms. */
  readonly intervalMs: number;
};

export type PacerOptions = {
  /** Requests per second (> 0). */
  rate: number;
  /** A clock and a timer, replaceable in tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** The longest pause honoured at once (a provider asking for an hour is asked again later). */
  maxPauseMs?: number;
};

export function createPacer(options: PacerOptions): Pacer {
  if (!(options.rate > 0)) throw new Error('The send rate must be above 0');
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxPauseMs = options.maxPauseMs ?? 60_000;
  const intervalMs = 1000 / options.rate;
  let next = 0;

  const pause = (ms: number) => {
    if (!(ms > 0)) return;
    next = Math.max(next, now() + Math.min(ms, maxPauseMs));
  };

  return {
    intervalMs,
    async acquire() {
      // A slot missed by less than one interval (every lane was busy) is still taken, so an
      // occasional slow pass costs no throughput; after a longer gap the grid starts afresh.
      const t = now();
      const at = next > t - intervalMs ? next : t;
      next = at + intervalMs;
      const wait = at - now();
      if (wait > 0) await sleep(wait);
    },
    pause,
    observe(info) {
      if (!info) return;
      if (info.remaining !== null && info.remaining <= 0 && info.resetMs !== null) pause(info.resetMs);
    },
  };
}

/**
 * Reads the IETF draft `ratelimit-*` headers Resend sends (`ratelimit-remaining`,
 * `ratelimit-reset` in seconds) and `retry-after` (seconds; an HTTP date is also accepted).
 */
export function rateLimitFromHeaders(
  headers: Record<string, string> | null | undefined,
  at = Date.now(),
): {
  rateLimit: RateLimitInfo | null;
  retryAfterSeconds: number | null;
} {
  const get = (name: string) => {
    if (!headers) return undefined;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    return key === undefined ? undefined : headers[key];
  };
  const seconds = (value: string | undefined): number | null => {
    if (value === undefined || value.trim() === '') return null;
    const n = Number(value);
    if (Number.isFinite(n) && n >= 0) return n;
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, (date - at) / 1000);
  };
  const remainingRaw = get('ratelimit-remaining');
  const remaining = remainingRaw === undefined ? null : Number(remainingRaw);
  const reset = seconds(get('ratelimit-reset'));
  const retryAfterSeconds = seconds(get('retry-after'));
  const rateLimit =
    remaining === null && reset === null
      ? null
      : {
          remaining: remaining !== null && Number.isFinite(remaining) ? remaining : null,
          resetMs: reset === null ? null : reset * 1000,
        };
  return { rateLimit, retryAfterSeconds };
}
