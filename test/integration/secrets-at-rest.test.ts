/**
 * Secrets encrypted at rest (src/server/secrets.ts, seal-secrets.ts): the raw rows never hold
 * a webhook secret or the signing secret in clear; plaintext rows from an older release are
 * sealed at start, once; a wrong key is reported by name and fails a signed delivery
 * cleanly instead of crashing; a sealed secret still signs a delivery the receiver verifies.
 */
import { createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows } from '../../src/db/client.ts';
import { settings, webhookDeliveries, webhooks } from '../../src/db/schema/index.ts';
import { newId } from '../../src/server/ids.ts';
import { getSigningSecret, manageTokenFor } from '../../src/server/notify/tokens.ts';
import { sealStoredSecrets } from '../../src/server/seal-secrets.ts';
import { getWebhook, listWebhooks } from '../../src/server/webhooks/queries.ts';
import { createWebhook, rotateWebhookSecret, sendTestWebhook } from '../../src/server/webhooks/service.ts';
import { sendWebhooks } from '../../src/server/webhooks/worker.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin } from '../helpers/principals.ts';

let t: TestDatabase;
let receiver: Server;
let base = '';
const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
const db = () => t.handle.db;
const OTHER_KEY = Buffer.alloc(32, 9).toString('base64');

const rawSecret = async (id: string) =>
  (await queryRows<{ secret: string }>(db(), sql`select secret from webhooks where id = ${id}`))[0].secret;
const rawSigning = async () =>
  (await queryRows<{ s: string | null }>(db(), sql`select signing_secret as s from settings where id = 1`))[0].s;

/** Runs `fn` as a server whose VIGIE_SECRET_KEY is another key. */
async function withOtherKey<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.VIGIE_SECRET_KEY;
  process.env.VIGIE_SECRET_KEY = OTHER_KEY;
  try {
    return await fn();
  } finally {
    process.env.VIGIE_SECRET_KEY = saved;
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
});

afterAll(async () => {
  receiver?.close();
  await t?.drop();
});

afterEach(() => vi.restoreAllMocks());

const hook = (name: string) =>
  createWebhook(db(), admin, { name, url: `${base}/${name}`, format: 'signed', events: ['incident.created'] });

describe('webhook secrets', () => {
  it('are stored sealed: the raw column never holds the secret, the services give it in clear', async () => {
    const w = await hook('sealed');
    const stored = await rawSecret(w.id);
    expect(stored).toMatch(/^v1:/);
    expect(stored).not.toContain(w.secret);
    expect((await getWebhook(db(), admin, w.id)).secret).toBe(w.secret);
    expect((await listWebhooks(db(), admin)).find((x) => x.id === w.id)?.secret).toBe(w.secret);
    const rotated = await rotateWebhookSecret(db(), admin, w.id);
    const after = await rawSecret(w.id);
    expect(after).toMatch(/^v1:/);
    expect(after).not.toContain(rotated.secret);
    expect(after).not.toBe(stored);
    expect((await getWebhook(db(), admin, w.id)).secret).toBe(rotated.secret);
  });

  it('still sign a delivery the receiver verifies with the secret the admin sees', async () => {
    const w = await hook('verify');
    await sendTestWebhook(db(), admin, w.id, { siteUrl: 'https://status.example.com' });
    received.length = 0;
    const r = await sendWebhooks(db());
    expect(r.sent).toBeGreaterThanOrEqual(1);
    const got = received.find((x) => x.body.includes('webhook.test'))!;
    const ts = String(got.headers['x-vigie-timestamp']);
    const shown = (await getWebhook(db(), admin, w.id)).secret!;
    const expected = createHmac('sha256', shown).update(`${ts}.${got.body}`).digest('hex');
    expect(got.headers['x-vigie-signature']).toBe(`v1=${expected}`);
  });

  it('with another key: null and logged by name, the delivery fails with the reason, no crash', async () => {
    const w = await hook('wrong-key');
    const errors: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (errors.push(String(s)), true));
    const seen = await withOtherKey(() => getWebhook(db(), admin, w.id));
    expect(seen.secret).toBeNull();
    expect(errors.map((l) => JSON.parse(l))).toContainEqual(
      expect.objectContaining({ level: 'error', webhookId: w.id, msg: expect.stringMatching(/VIGIE_SECRET_KEY/) }),
    );
    await sendTestWebhook(db(), admin, w.id, { siteUrl: 'https://status.example.com' });
    received.length = 0;
    await withOtherKey(() => sendWebhooks(db()));
    expect(received).toHaveLength(0);
    const [delivery] = await db().select().from(webhookDeliveries).where(eq(webhookDeliveries.webhookId, w.id));
    expect(delivery.status).toBe('failed');
    expect(delivery.lastError).toMatch(/cannot be decrypted with this server’s key/);
    const report = await withOtherKey(() => sealStoredSecrets(db()));
    expect(report.unreadable).toContain(`webhook:${w.id}`);
    // Back on the right key, it reads again.
    expect((await getWebhook(db(), admin, w.id)).secret).toBe(w.secret);
  });
});

describe('the signing secret', () => {
  it('is made sealed, and a wrong key throws a clear error rather than signing with garbage', async () => {
    const secret = await getSigningSecret(db());
    const stored = (await rawSigning())!;
    expect(stored).toMatch(/^v1:/);
    expect(stored).not.toContain(secret);
    expect(await getSigningSecret(db())).toBe(secret);
    await expect(withOtherKey(() => getSigningSecret(db()))).rejects.toThrow(/cannot be decrypted/);
  });
});

describe('the start-up pass', () => {
  it('seals plaintext rows from an older release, once, and the secrets keep working', async () => {
    const legacyWebhook = 'bGVnYWN5LXdlYmhvb2stc2VjcmV0LTMyLWJ5dGVzLi4u';
    const legacySigning = 'c2lnbmluZy1zZWNyZXQtZnJvbS1hbi1vbGRlci1yZWw';
    const [w] = await db()
      .insert(webhooks)
      .values({
        id: newId(),
        name: 'Old',
        url: `${base}/old`,
        format: 'signed',
        events: ['incident.created'],
        secret: legacyWebhook,
      })
      .returning();
    await db().update(settings).set({ signingSecret: legacySigning }).where(eq(settings.id, 1));
    const tokenBefore = manageTokenFor(await getSigningSecret(db()), 'sub_1');

    const first = await sealStoredSecrets(db());
    expect(first.sealed).toBe(2);
    expect(first.unreadable).toEqual([]);
    const sealedHook = await rawSecret(w.id);
    const sealedSigning = (await rawSigning())!;
    expect(sealedHook).toMatch(/^v1:/);
    expect(sealedHook).not.toContain(legacyWebhook);
    expect(sealedSigning).toMatch(/^v1:/);
    expect(sealedSigning).not.toContain(legacySigning);
    // Same secrets in clear: receivers and manage links already sent keep verifying.
    expect((await getWebhook(db(), admin, w.id)).secret).toBe(legacyWebhook);
    expect(manageTokenFor(await getSigningSecret(db()), 'sub_1')).toBe(tokenBefore);

    const second = await sealStoredSecrets(db());
    expect(second.sealed).toBe(0);
    expect(await rawSecret(w.id)).toBe(sealedHook);
    expect(await rawSigning()).toBe(sealedSigning);
  });

  it('no row anywhere holds a secret in clear', async () => {
    const hooks = await db().select({ secret: webhooks.secret }).from(webhooks);
    expect(hooks.length).toBeGreaterThan(0);
    for (const h of hooks) expect(h.secret).toMatch(/^v1:/);
  });
});
