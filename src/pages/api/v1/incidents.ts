import { v1Incident } from '../../../server/api/serialize.ts';
import { created, ok, pagination, v1Route } from '../../../server/api/v1.ts';
import { getIncident, listIncidents } from '../../../server/incidents/queries.ts';
import { createIncident } from '../../../server/incidents/service.ts';

/** GET: incidents, newest first (`?page`, `?per_page`). POST: open one; its `body` is the first update. */
export const ALL = v1Route({
  async GET({ db, url, serializer }) {
    const { page, perPage } = pagination(url);
    const { items, total } = await listIncidents(db, { kind: 'incident', page, perPage });
    const ctx = await serializer();
    return ok({ incidents: items.map((i) => v1Incident(i, ctx)), page, per_page: perPage, total });
  },
  async POST({ db, principal, input, idempotencyKey, serializer }) {
    const { incident } = await createIncident(db, principal, {
      ...input,
      kind: 'incident',
      source: 'api',
      idempotencyKey: idempotencyKey ?? input.idempotencyKey,
    });
    return created(v1Incident((await getIncident(db, incident.id))!, await serializer()));
  },
});
