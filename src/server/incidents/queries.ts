/**
 * Staff reads of incidents and maintenances: the read model's internal view (every update,
 * internal ones included) next to the row, which holds the process fields.
 */
import { desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidents, incidentUpdates } from '../../db/schema/index.ts';
import type { IncidentKind } from '../../domain/enums.ts';
import { hydrateIncidents, loadComponentIndex, type IncidentView } from '../status-page/queries.ts';
import type { Incident, IncidentUpdate } from './service.ts';

export type IncidentDetail = { row: Incident; view: IncidentView };

/** Incidents (or maintenances), newest first, one page at a time. Five queries. */
export async function listIncidents(
  db: Db,
  options: { kind: IncidentKind; page?: number; perPage?: number },
): Promise<{ items: IncidentDetail[]; total: number }> {
  const perPage = options.perPage ?? 50;
  const page = options.page ?? 1;
  const rows = await db
    .select()
    .from(incidents)
    .where(eq(incidents.kind, options.kind))
    .orderBy(desc(incidents.startedAt), desc(incidents.number))
    .limit(perPage)
    .offset((page - 1) * perPage);
  const [{ total }] = await db
    .select({ total: sql<number>`count(*)::int` })
    .from(incidents)
    .where(eq(incidents.kind, options.kind));
  return { items: await detail(db, rows), total: Number(total) };
}

/** One incident (or maintenance, with `kind`), or null when it does not exist or is the other kind. */
export async function getIncident(db: Db, id: string, kind?: IncidentKind): Promise<IncidentDetail | null> {
  const [row] = await db.select().from(incidents).where(eq(incidents.id, id));
  if (!row || (kind && row.kind !== kind)) return null;
  const [item] = await detail(db, [row]);
  return item;
}

async function detail(db: Db, rows: Incident[]): Promise<IncidentDetail[]> {
  if (!rows.length) return [];
  const componentById = await loadComponentIndex(db, 'internal');
  const views = await hydrateIncidents(db, rows, { audience: 'internal', componentById });
  return rows.map((row, i) => ({ row, view: views[i] }));
}

/** One update, or null. */
export async function getUpdate(db: Db, id: string): Promise<IncidentUpdate | null> {
  const [row] = await db.select().from(incidentUpdates).where(eq(incidentUpdates.id, id));
  return row ?? null;
}
