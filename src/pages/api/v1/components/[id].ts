import { v1Component } from '../../../../server/api/serialize.ts';
import { noContent, ok, v1Route } from '../../../../server/api/v1.ts';
import { getComponent } from '../../../../server/components/queries.ts';
import { deleteComponent, updateComponent } from '../../../../server/components/service.ts';
import { NotFoundError } from '../../../../server/errors.ts';

/** One component. PATCH with only `status` is a status change (responder); anything else, and DELETE, need admin. */
export const ALL = v1Route({
  async GET({ db, params, serializer }) {
    const component = await getComponent(db, params.id);
    if (!component) throw new NotFoundError(`Component ${params.id} does not exist`);
    return ok(v1Component(component, await serializer()));
  },
  async PATCH({ db, principal, params, input, serializer }) {
    return ok(v1Component(await updateComponent(db, principal, params.id, input), await serializer()));
  },
  async DELETE({ db, principal, params }) {
    await deleteComponent(db, principal, params.id);
    return noContent();
  },
});
