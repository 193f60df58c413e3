import { v1Group } from '../../../server/api/serialize.ts';
import { created, ok, v1Route } from '../../../server/api/v1.ts';
import { getGroup, listGroups } from '../../../server/components/queries.ts';
import { createGroup } from '../../../server/components/service.ts';

/** GET: every component group with its components' ids. POST: create one (admin). */
export const ALL = v1Route({
  async GET({ db, serializer }) {
    const ctx = await serializer();
    return ok({ component_groups: (await listGroups(db)).map((g) => v1Group(g, ctx)) });
  },
  async POST({ db, principal, input, serializer }) {
    const group = await createGroup(db, principal, input);
    return created(v1Group((await getGroup(db, group.id))!, await serializer()));
  },
});
