import { v1Maintenance } from '../../../server/api/serialize.ts';
import { created, ok, pagination, v1Route } from '../../../server/api/v1.ts';
import { getIncident, listIncidents } from '../../../server/incidents/queries.ts';
import { createMaintenance } from '../../../server/maintenances/service.ts';

/** GET: maintenances, newest first (`?page`, `?per_page`). POST: schedule one (comms). */
export const ALL = v1Route({
  async GET({ db, url, serializer }) {
    const { page, perPage } = pagination(url);
    const { items, total } = await listIncidents(db, { kind: 'maintenance', page, perPage });
    const ctx = await serializer();
    return ok({ maintenances: items.map((m) => v1Maintenance(m, ctx)), page, per_page: perPage, total });
  },
  async POST({ db, principal, input, idempotencyKey, serializer }) {
    const { incident } = await createMaintenance(db, principal, {
      ...input,
      idempotencyKey: idempotencyKey ?? input.idempotencyKey,
    });
    return created(v1Maintenance((await getIncident(db, incident.id))!, await serializer()));
  },
});
