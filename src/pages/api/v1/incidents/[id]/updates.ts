import { v1UpdateRow } from '../../../../../server/api/serialize.ts';
import { created, v1Route } from '../../../../../server/api/v1.ts';
import { getIncident } from '../../../../../server/incidents/queries.ts';
import { postUpdate } from '../../../../../server/incidents/service.ts';

/** Posts an update on an incident or maintenance; a closing one (resolved, completed) restores its components. */
export const ALL = v1Route({
  async POST({ db, principal, params, input, idempotencyKey }) {
    const update = await postUpdate(db, principal, params.id, {
      ...input,
      idempotencyKey: idempotencyKey ?? input.idempotencyKey,
    });
    return created(v1UpdateRow(update, await getIncident(db, params.id)));
  },
});
