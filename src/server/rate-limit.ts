/**
 * Fixed-window rate limits kept in the database (table rate_limits), so every instance
 * counts the same attempts. One upsert per check.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.ts';

export type RateLimit = { limit: number; windowSeconds: number };
export type RateLimitResult = { allowed: boolean; count: number; retryAfterSeconds: number };

/** Counts one hit on `key` and says whether it is still within `limit` for the current window. */
export async function hitRateLimit(db: Db, key: string, rule: RateLimit, now = new Date()): Promise<RateLimitResult> {
  // Timestamps go in as ISO text with a cast: postgres.js does not take Date objects in raw SQL.
  const at = sql`${now.toISOString()}::timestamptz`;
  const windowStart = sql`${new Date(now.getTime() - rule.windowSeconds * 1000).toISOString()}::timestamptz`;
  const [row] = await queryRows<{ count: number; window_start: Date | string }>(
    db,
    sql`insert into rate_limits (key, count, window_start) values (${key}, 1, ${at})
        on conflict (key) do update set
          count = case when rate_limits.window_start <= ${windowStart} then 1 else rate_limits.count + 1 end,
          window_start = case when rate_limits.window_start <= ${windowStart} then ${at} else rate_limits.window_start end
        returning count, window_start`,
  );
  const started = new Date(row.window_start);
  const retryAfterSeconds = Math.max(
    1,
    Math.ceil((started.getTime() + rule.windowSeconds * 1000 - now.getTime()) / 1000),
  );
  return { allowed: row.count <= rule.limit, count: row.count, retryAfterSeconds };
}

/** Forgets the counts of a key (after a successful login, for instance). */
export async function resetRateLimit(db: Db, key: string): Promise<void> {
  await db.execute(sql`delete from rate_limits where key = ${key}`);
}
