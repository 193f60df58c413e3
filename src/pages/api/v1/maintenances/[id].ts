import { v1Maintenance } from '../../../../server/api/serialize.ts';
import { ok, v1Route } from '../../../../server/api/v1.ts';
import { NotFoundError } from '../../../../server/errors.ts';
import { getIncident } from '../../../../server/incidents/queries.ts';
import { updateMaintenance } from '../../../../server/maintenances/service.ts';

/** One maintenance with every update. PATCH edits its window, components and flags (comms). */
export const ALL = v1Route({
  async GET({ db, params, serializer }) {
    const maintenance = await getIncident(db, params.id, 'maintenance');
    if (!maintenance) throw new NotFoundError(`Maintenance ${params.id} does not exist`);
    return ok(v1Maintenance(maintenance, await serializer()));
  },
  async PATCH({ db, principal, params, input, serializer }) {
    await updateMaintenance(db, principal, params.id, input);
    return ok(v1Maintenance((await getIncident(db, params.id))!, await serializer()));
  },
});
