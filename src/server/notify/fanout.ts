/**
 * The fan-out of a published update: one email_deliveries row per subscriber it reaches,
 * inserted set-based (`INSERT … SELECT`), a chunk of subscribers at a time. The unique
 * (message_key, subscriber_id) index makes it idempotent: running a chunk again (a retried
 * outbox row) adds nobody twice.
 *
 * Chunks, walked in subscriber id order with a cursor kept on the outbox row, let the first
 * batches go out while the rest is still being queued (100 000 subscribers take ~3 s to
 * queue in one statement), and keep each transaction short.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';

/**
 * Who may be emailed at all, for the subscriber row aliased `s`: confirmed, neither
 * unsubscribed nor suppressed. Shared by the update fan-out and the maintenance reminders.
 */
export function reachable(s: string): SQL {
  const a = sql.raw(s);
  return sql`(${a}.confirmed_at is not null and ${a}.unsubscribed_at is null and ${a}.suppressed_at is null)`;
}

/** The public components (in a public group or none) among `componentIds`, a SQL id set. */
export function publicAmong(componentIds: SQL): SQL {
  return sql`select co.id from components co left join component_groups g on g.id = co.group_id
    where co.visibility = 'public' and (g.id is null or g.visibility = 'public') and co.id in (${componentIds})`;
}

/** Whether the subscriber row aliased `s` wants news of any of `componentIds` (or of everything). */
export function wantsAnyOf(s: string, componentIds: SQL): SQL {
  const a = sql.raw(s);
  return sql`(${a}.all_components or exists (
    select 1 from subscriber_components sc where sc.subscriber_id = ${a}.id and sc.component_id in (${componentIds})))`;
}

/** Subscribers looked at per chunk. */
export const FANOUT_CHUNK = 10_000;

export type FanOutChunk = {
  /** Delivery rows added. */
  added: number;
  /** The cursor for the next chunk: the last subscriber id looked at, or null when done. */
  next: string | null;
};

/**
 * Queues `update:{id}` for the next `limit` subscribers after `after` (by id) who are
 * confirmed, neither unsubscribed nor suppressed, and subscribed to everything or to a public
 * component of the incident or of the update. Only a public update with `notify` on, of a
 * public incident, reaches anyone.
 */
export async function fanOutChunk(
  db: Db,
  updateId: string,
  now: Date,
  after: string | null,
  limit = FANOUT_CHUNK,
): Promise<FanOutChunk> {
  const at = now.toISOString();
  const [row] = await queryRows<{ added: number; scanned: number; last: string | null }>(
    db,
    sql`
    with affected as (
      -- The public components the incident or the update names, worked out once rather than
      -- for each subscriber.
      ${publicAmong(sql`
        select ic.component_id from incident_updates u join incident_components ic on ic.incident_id = u.incident_id
        where u.id = ${updateId}
        union
        select uc.component_id from incident_update_components uc where uc.update_id = ${updateId}`)}
    ),
    candidates as (
      select s.id, s.all_components
      from subscribers s
      where ${reachable('s')}
        and (${after}::text is null or s.id > ${after}::text)
      order by s.id
      limit ${limit}::int
    ),
    added as (
      insert into email_deliveries
        (message_key, subscriber_id, update_id, incident_id, status, next_attempt_at, created_at, updated_at)
      select 'update:' || u.id, c.id, u.id, u.incident_id, 'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
      from incident_updates u
      join incidents i on i.id = u.incident_id
      cross join candidates c
      where u.id = ${updateId}
        and u.audience = 'public' and u.notify and i.visibility = 'public'
        and ${wantsAnyOf('c', sql`select id from affected`)}
      on conflict (message_key, subscriber_id) do nothing
      returning 1
    )
    select (select count(*) from added)::int as added, (select count(*) from candidates)::int as scanned,
      (select max(id) from candidates) as last
  `,
  );
  return { added: Number(row.added), next: Number(row.scanned) < limit ? null : row.last };
}

/** The whole fan-out of an update at once (tests, small pages). Returns the rows added. */
export async function fanOut(db: Db, updateId: string, now = new Date()): Promise<number> {
  let added = 0;
  let after: string | null = null;
  do {
    const chunk: FanOutChunk = await fanOutChunk(db, updateId, now, after);
    added += chunk.added;
    after = chunk.next;
  } while (after !== null);
  return added;
}
