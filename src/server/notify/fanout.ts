/**
 * The fan-out of a published update: one email_deliveries row per subscriber it reaches, in
 * a single set-based INSERT … SELECT. The unique (message_key, subscriber_id) index makes it
 * idempotent: running it again (a retried outbox row) adds nobody twice.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';

/**
 * Queues `update:{id}` for every confirmed subscriber, neither unsubscribed nor suppressed,
 * subscribed to everything or to a public component of the incident or of the update. Only a
 * public update with `notify` on, of a public incident, reaches anyone. Returns the rows added.
 */
export async function fanOut(db: Db, updateId: string, now = new Date()): Promise<number> {
  const at = now.toISOString();
  const rows = await queryRows(
    db,
    sql`
    insert into email_deliveries
      (message_key, subscriber_id, update_id, incident_id, status, next_attempt_at, created_at, updated_at)
    select 'update:' || u.id, s.id, u.id, u.incident_id, 'pending', ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    from incident_updates u
    join incidents i on i.id = u.incident_id
    join subscribers s
      on s.confirmed_at is not null and s.unsubscribed_at is null and s.suppressed_at is null
    where u.id = ${updateId}
      and u.audience = 'public' and u.notify and i.visibility = 'public'
      and (
        s.all_components
        or exists (
          select 1
          from subscriber_components sc
          join components c on c.id = sc.component_id and c.visibility = 'public'
          left join component_groups g on g.id = c.group_id
          where sc.subscriber_id = s.id
            and (g.id is null or g.visibility = 'public')
            and (
              sc.component_id in (select ic.component_id from incident_components ic where ic.incident_id = i.id)
              or sc.component_id in (select uc.component_id from incident_update_components uc where uc.update_id = u.id)
            )
        )
      )
    on conflict (message_key, subscriber_id) do nothing
    returning id
  `,
  );
  return rows.length;
}
