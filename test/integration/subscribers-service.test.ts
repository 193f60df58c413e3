import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, outbox, subscriberComponents, subscribers } from '../../src/db/schema/index.ts';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { createComponent, createGroup } from '../../src/server/components/service.ts';
import { ConflictError, NotFoundError, ValidationError } from '../../src/server/errors.ts';
import { listSubscribers } from '../../src/server/subscribers/queries.ts';
import { normalizeEmail } from '../../src/server/subscribers/schemas.ts';
import { createSubscriber, deleteSubscriber } from '../../src/server/subscribers/service.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, responder, system, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
const db = () => t.handle.db;

describe('subscriber services', () => {
  it('normalises addresses: trimmed, domain lowercased, local part kept', () => {
    expect(normalizeEmail('  Ann.Lee@Example.COM ')).toBe('Ann.Lee@example.com');
  });

  it('comms adds an unconfirmed subscriber and the confirmation email is queued', async () => {
    for (const caller of [viewer, responder]) {
      await expect(createSubscriber(db(), caller, { email: 'a@example.com' })).rejects.toBeInstanceOf(ForbiddenError);
    }
    const s = await createSubscriber(db(), comms, { email: ' Bob@Example.com' });
    expect(s).toMatchObject({ email: 'Bob@example.com', confirmedAt: null, allComponents: true, componentIds: [] });
    const queued = await db().select().from(outbox).where(eq(outbox.topic, 'subscriber.confirm'));
    expect(queued.map((o) => o.payload)).toEqual([{ subscriberId: s.id }]);
    await expect(createSubscriber(db(), admin, { email: 'Bob@EXAMPLE.com' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('an import (confirmed: true) sends no confirmation', async () => {
    const before = (await db().select().from(outbox)).length;
    const s = await createSubscriber(db(), admin, { email: 'carol@example.com', confirmed: true });
    expect(s.confirmedAt).not.toBeNull();
    expect(await db().select().from(outbox)).toHaveLength(before);
  });

  it('takes only public components, and names the others', async () => {
    const pub = await createComponent(db(), system, { name: 'API' });
    const internal = await createComponent(db(), system, { name: 'Queue', visibility: 'internal' });
    const hiddenGroup = await createGroup(db(), system, { name: 'Ops', visibility: 'internal' });
    const hidden = await createComponent(db(), system, { name: 'Child', groupId: hiddenGroup.id });
    const err = await createSubscriber(db(), comms, {
      email: 'dan@example.com',
      componentIds: [pub.id, internal.id, hidden.id, 'nosuch'],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toEqual({
      component_ids: `Not a public component: ${internal.id}, ${hidden.id}, nosuch`,
    });
    expect(await db().select().from(subscribers).where(eq(subscribers.email, 'dan@example.com'))).toEqual([]);
    const s = await createSubscriber(db(), comms, { email: 'dan@example.com', componentIds: [pub.id] });
    expect(s.allComponents).toBe(false);
    expect(await db().select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, s.id))).toEqual([
      { subscriberId: s.id, componentId: pub.id },
    ]);
  });

  it('names a bad address', async () => {
    const err = await createSubscriber(db(), comms, { email: 'not an email' }).catch((e: unknown) => e);
    expect((err as ValidationError).fields).toEqual({ email: 'Enter a valid email address' });
  });

  it('lists with search and counts by state', async () => {
    await createSubscriber(db(), comms, { email: 'erin@search.example', confirmed: true });
    await createSubscriber(db(), comms, { email: 'frank@search.example' });
    const gone = await createSubscriber(db(), comms, { email: 'gina@search.example', confirmed: true });
    await db().update(subscribers).set({ unsubscribedAt: new Date() }).where(eq(subscribers.id, gone.id));
    const { subscribers: found, matching, counts } = await listSubscribers(db(), { search: 'SEARCH.example' });
    expect(found.map((s) => [s.email, s.state]).sort()).toEqual([
      ['erin@search.example', 'confirmed'],
      ['frank@search.example', 'unconfirmed'],
      ['gina@search.example', 'unsubscribed'],
    ]);
    expect(matching).toBe(3);
    expect(counts.total).toBe(counts.confirmed + counts.unconfirmed + counts.unsubscribed + counts.suppressed);
    expect(counts.unsubscribed).toBe(1);
    // A search is text, not a pattern.
    expect((await listSubscribers(db(), { search: '%' })).matching).toBe(0);
    const page = await listSubscribers(db(), { search: 'search.example', perPage: 2, page: 2 });
    expect(page.subscribers).toHaveLength(1);
  });

  it('comms deletes a subscriber; the audit log keeps only a masked address', async () => {
    const s = await createSubscriber(db(), comms, { email: 'hank@example.com' });
    await expect(deleteSubscriber(db(), responder, s.id)).rejects.toBeInstanceOf(ForbiddenError);
    await deleteSubscriber(db(), comms, s.id);
    expect(await db().select().from(subscribers).where(eq(subscribers.id, s.id))).toEqual([]);
    const entries = await db().select().from(auditLog).where(eq(auditLog.entityId, s.id));
    expect(entries.find((e) => e.action === 'subscriber.delete')!.detail).toEqual({
      before: { email: 'h***@example.com' },
    });
    await expect(deleteSubscriber(db(), comms, s.id)).rejects.toBeInstanceOf(NotFoundError);
  });
});
