import { v1Incident } from '../../../../server/api/serialize.ts';
import { ok, v1Route } from '../../../../server/api/v1.ts';
import { NotFoundError } from '../../../../server/errors.ts';
import { getIncident } from '../../../../server/incidents/queries.ts';
import { updateIncident } from '../../../../server/incidents/service.ts';

/** One incident with every update, internal ones included. PATCH edits its fields; the status changes through updates. */
export const ALL = v1Route({
  async GET({ db, params, serializer }) {
    const incident = await getIncident(db, params.id, 'incident');
    if (!incident) throw new NotFoundError(`Incident ${params.id} does not exist`);
    return ok(v1Incident(incident, await serializer()));
  },
  async PATCH({ db, principal, params, input, serializer }) {
    await updateIncident(db, principal, params.id, input);
    return ok(v1Incident((await getIncident(db, params.id))!, await serializer()));
  },
});
