import { v1Component } from '../../../server/api/serialize.ts';
import { created, ok, v1Route } from '../../../server/api/v1.ts';
import { listComponents } from '../../../server/components/queries.ts';
import { createComponent } from '../../../server/components/service.ts';

/** GET: every component, internal ones included, in page order. POST: create one (admin). */
export const ALL = v1Route({
  async GET({ db, serializer }) {
    const ctx = await serializer();
    return ok({ components: (await listComponents(db)).map((c) => v1Component(c, ctx)) });
  },
  async POST({ db, principal, input, serializer }) {
    return created(v1Component(await createComponent(db, principal, input), await serializer()));
  },
});
