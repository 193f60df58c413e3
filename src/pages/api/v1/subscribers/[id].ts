import { noContent, v1Route } from '../../../../server/api/v1.ts';
import { deleteSubscriber } from '../../../../server/subscribers/service.ts';

/** Removes a subscriber (comms). */
export const ALL = v1Route({
  async DELETE({ db, principal, params }) {
    await deleteSubscriber(db, principal, params.id);
    return noContent();
  },
});
