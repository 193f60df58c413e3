import { ok, v1Route } from '../../../../../server/api/v1.ts';
import { NotFoundError } from '../../../../../server/errors.ts';
import { getUpdate } from '../../../../../server/incidents/queries.ts';
import { countDeliveries } from '../../../../../server/outbox/deliveries.ts';

/** How one update's email fan-out is going: `{ total, pending, sent, failed }`. */
export const ALL = v1Route({
  async GET({ db, params }) {
    if (!(await getUpdate(db, params.id))) throw new NotFoundError(`Update ${params.id} does not exist`);
    return ok(await countDeliveries(db, params.id));
  },
});
