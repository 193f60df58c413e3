import { v1Subscriber } from '../../../server/api/serialize.ts';
import { created, ok, pagination, v1Route } from '../../../server/api/v1.ts';
import { listSubscribers } from '../../../server/subscribers/queries.ts';
import { createSubscriber } from '../../../server/subscribers/service.ts';

/** GET: subscribers (`?search`, `?page`, `?per_page`) with counts by state. POST: add one (comms). */
export const ALL = v1Route({
  async GET({ db, url }) {
    const { page, perPage } = pagination(url);
    const search = url.searchParams.get('search') ?? undefined;
    const { subscribers, matching, counts } = await listSubscribers(db, { search, page, perPage });
    return ok({ subscribers: subscribers.map(v1Subscriber), counts, page, per_page: perPage, total: matching });
  },
  async POST({ db, principal, input }) {
    return created(v1Subscriber(await createSubscriber(db, principal, input)));
  },
});
