/**
 * The retry schedule every outbox consumer shares (email batches, confirmation emails,
 * webhooks): 2 s, 4 s, 8 s… doubling per attempt, at most 15 minutes.
 */
const BASE_BACKOFF_MS = 2_000;
const MAX_BACKOFF_MS = 15 * 60_000;

/** How long to wait before attempt `attempts + 1`, after `attempts` failed ones (at least 1). */
export function backoffMs(attempts: number): number {
  return Math.min(BASE_BACKOFF_MS * 2 ** (Math.max(1, attempts) - 1), MAX_BACKOFF_MS);
}

/** The first wait: what a retry with no attempt counted (a 429) waits at least. */
export const FIRST_BACKOFF_MS = BASE_BACKOFF_MS;
