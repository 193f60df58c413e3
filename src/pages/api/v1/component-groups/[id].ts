import { v1Group } from '../../../../server/api/serialize.ts';
import { noContent, ok, v1Route } from '../../../../server/api/v1.ts';
import { getGroup } from '../../../../server/components/queries.ts';
import { deleteGroup, updateGroup } from '../../../../server/components/service.ts';

/** Edit or delete a component group (admin); deleting keeps its components, outside any group. */
export const ALL = v1Route({
  async PATCH({ db, principal, params, input, serializer }) {
    await updateGroup(db, principal, params.id, input);
    return ok(v1Group((await getGroup(db, params.id))!, await serializer()));
  },
  async DELETE({ db, principal, params }) {
    await deleteGroup(db, principal, params.id);
    return noContent();
  },
});
