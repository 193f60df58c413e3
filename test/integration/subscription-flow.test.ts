import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriberComponents, subscribers } from '../../src/db/schema/index.ts';
import { ValidationError } from '../../src/server/errors.ts';
import { hashSecret } from '../../src/server/ids.ts';
import { buildEml, createMailer, encodeWord, MailerError, type Mailer } from '../../src/server/notify/mailer.ts';
import {
  checkConfirmToken,
  CONFIRM_TTL_MS,
  confirmSubscription,
  loadSubscribeOptions,
  subscribe,
  TooManyRequestsError,
  unsubscribe,
} from '../../src/server/subscribers/public-flow.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { linkToken, parseEml, readSink } from '../helpers/mail.ts';
import { seedScenario } from '../helpers/scenario.ts';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
let dataDir: string;
let mailer: Mailer;
const db = () => t.handle.db;
const SITE = 'https://status.example.com';
let ipCount = 0;
/** A fresh IP per call, so the per-IP limit only bites where a test wants it to. */
const base = () => ({ ip: `10.0.0.${++ipCount}`, siteUrl: SITE, pageName: 'Acme' });

beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedScenario(db());
  dataDir = mkdtempSync(path.join(tmpdir(), 'vigie-mail-'));
  mailer = createMailer({ dataDir, from: 'Vigie <status@example.com>' });
});
afterAll(async () => {
  await t.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sinkCount = () => readSink(dataDir).length;
const last = () => readSink(dataDir).at(-1)!;

describe('mail sink', () => {
  it('writes a multipart text+html .eml with the headers, named to sort by time', async () => {
    const { id } = await mailer.send({
      to: 'ann@example.com',
      subject: 'Incident résolu: API',
      text: 'Hello\nworld',
      html: '<p>Hello</p>',
      headers: {
        'List-Unsubscribe': '<https://x.example/unsubscribe?token=abc>',
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      },
    });
    expect(id).toMatch(/^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{8}\.eml$/);
    const m = last();
    expect(m.file).toBe(id);
    expect(m.headers['from']).toBe('"Vigie" <status@example.com>');
    expect(m.headers['to']).toBe('ann@example.com');
    expect(m.headers['subject']).toBe(encodeWord('Incident résolu: API').replace(/\r\n /g, ' '));
    expect(m.headers['subject']).toMatch(/^=\?UTF-8\?B\?/);
    expect(m.headers['mime-version']).toBe('1.0');
    expect(m.headers['date']).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(m.headers['message-id']).toMatch(/^<[0-9a-f]{32}@example\.com>$/);
    expect(m.headers['list-unsubscribe']).toBe('<https://x.example/unsubscribe?token=abc>');
    expect(m.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(m.headers['content-type']).toMatch(/^multipart\/alternative; boundary="/);
    expect(m.text).toBe('Hello\r\nworld');
    expect(m.html).toBe('<p>Hello</p>');
    expect(m.raw.split('\r\n').every((l) => l.length <= 998)).toBe(true);
  });

  it('decodes the RFC 2047 subject back to the original, and keeps ASCII subjects plain', () => {
    const subject = 'Résolu — une très longue ligne de sujet pour forcer plusieurs mots encodés ✅';
    const encoded = encodeWord(subject);
    const words = encoded.split('\r\n ');
    expect(words.length).toBeGreaterThan(1);
    expect(words.every((w) => w.length <= 75)).toBe(true);
    const decoded = words.map((w) => Buffer.from(w.slice(10, -2), 'base64').toString('utf8')).join('');
    expect(decoded).toBe(subject);
    expect(encodeWord('Plain subject')).toBe('Plain subject');
    expect(parseEml(buildEml({ to: 'a@b.c', subject: 'Hi', text: 't', html: 'h' }, 'Zoé <z@b.c>')).headers.from).toBe(
      `${encodeWord('Zoé')} <z@b.c>`,
    );
  });

  it('refuses header injection', async () => {
    await expect(mailer.send({ to: 'a@b.c', subject: 'x\r\nBcc: evil@x', text: '', html: '' })).rejects.toThrow(
      /line break/,
    );
  });

  it('with an API key, turns a Resend refusal into a MailerError', async () => {
    // A closed local port: the SDK answers { error } rather than throwing.
    const previous = process.env.RESEND_BASE_URL;
    process.env.RESEND_BASE_URL = 'http://127.0.0.1:9';
    try {
      const resend = createMailer({ apiKey: 're_test', dataDir, from: 'Vigie <status@example.com>' });
      const err = await resend
        .send({ to: 'a@example.com', subject: 's', text: 't', html: 'h' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MailerError);
    } finally {
      if (previous === undefined) delete process.env.RESEND_BASE_URL;
      else process.env.RESEND_BASE_URL = previous;
    }
  });
});

describe('subscribe → confirm → unsubscribe', () => {
  it('sends a confirmation link, which confirms once', async () => {
    const before = sinkCount();
    const done = await subscribe(db(), mailer, {
      ...base(),
      email: '  Ann@Example.COM ',
      componentIds: [s.components.rest.id],
    });
    expect(done).toEqual({ email: 'Ann@example.com', outcome: 'confirm-sent' });
    expect(sinkCount()).toBe(before + 1);
    const m = last();
    expect(m.headers.to).toBe('Ann@example.com');
    expect(m.text).toContain(s.components.rest.name);
    const token = linkToken(m.text, `${SITE}/subscribe/confirm`);
    expect(m.html).toContain(`${SITE}/subscribe/confirm?token=${token}`);

    const [row] = await db().select().from(subscribers).where(eq(subscribers.email, 'Ann@example.com'));
    expect(row).toMatchObject({ confirmedAt: null, allComponents: false, confirmTokenHash: hashSecret(token) });
    expect(await db().select().from(subscriberComponents).where(eq(subscriberComponents.subscriberId, row.id))).toEqual(
      [{ subscriberId: row.id, componentId: s.components.rest.id }],
    );

    const ok = await confirmSubscription(db(), token);
    expect(ok.status).toBe('ok');
    const [after] = await db().select().from(subscribers).where(eq(subscribers.id, row.id));
    expect(after.confirmedAt).not.toBeNull();
    expect(after.confirmTokenHash).toBeNull();
    expect(await confirmSubscription(db(), token)).toEqual({ status: 'invalid' });

    // The manage token issued at confirmation unsubscribes, twice (idempotent).
    const manage = (ok as { manageToken: string }).manageToken;
    expect(after.manageTokenHash).toBe(hashSecret(manage));
    expect(await unsubscribe(db(), manage)).toEqual({ status: 'ok' });
    const [gone] = await db().select().from(subscribers).where(eq(subscribers.id, row.id));
    expect(gone.unsubscribedAt).not.toBeNull();
    expect(await unsubscribe(db(), manage)).toEqual({ status: 'ok' });
    const [still] = await db().select().from(subscribers).where(eq(subscribers.id, row.id));
    expect(still.unsubscribedAt).toEqual(gone.unsubscribedAt);
  });

  it('answers invalid to bad tokens and expired after 48 h', async () => {
    for (const bad of ['', 'x', 'a'.repeat(43), 'not a token!', 'a'.repeat(500)]) {
      expect(await confirmSubscription(db(), bad)).toEqual({ status: 'invalid' });
      expect(await unsubscribe(db(), bad)).toEqual({ status: 'invalid' });
    }
    const now = new Date('2026-01-01T00:00:00Z');
    await subscribe(db(), mailer, { ...base(), email: 'late@example.com', now });
    const token = linkToken(last().text, `${SITE}/subscribe/confirm`);
    expect(await checkConfirmToken(db(), token, now)).toBe('valid');
    expect(await checkConfirmToken(db(), token, new Date(now.getTime() + CONFIRM_TTL_MS + 1))).toBe('expired');
    expect(await checkConfirmToken(db(), 'a'.repeat(43))).toBe('invalid');
    expect(await confirmSubscription(db(), token, new Date(now.getTime() + CONFIRM_TTL_MS + 1))).toEqual({
      status: 'expired',
    });
    const ok = await confirmSubscription(db(), token, new Date(now.getTime() + CONFIRM_TTL_MS - 1000));
    expect(ok.status).toBe('ok');
  });

  it('answers the same for new, pending and confirmed addresses, without a link for the confirmed one', async () => {
    const answers = [];
    answers.push(await subscribe(db(), mailer, { ...base(), email: 'same@example.com' }));
    const firstToken = linkToken(last().text, `${SITE}/subscribe/confirm`);
    answers.push(await subscribe(db(), mailer, { ...base(), email: 'same@example.com' }));
    const secondToken = linkToken(last().text, `${SITE}/subscribe/confirm`);
    // A new link replaces the old one.
    expect(await confirmSubscription(db(), firstToken)).toEqual({ status: 'invalid' });
    expect((await confirmSubscription(db(), secondToken)).status).toBe('ok');
    const before = sinkCount();
    answers.push(await subscribe(db(), mailer, { ...base(), email: 'same@example.com' }));
    expect(sinkCount()).toBe(before + 1);
    expect(last().text).toContain('already subscribed');
    expect(last().text).not.toContain('token=');
    expect(answers.map((a) => a.email)).toEqual(['same@example.com', 'same@example.com', 'same@example.com']);
    expect(answers.map((a) => a.outcome)).toEqual(['confirm-sent', 'confirm-sent', 'already-subscribed-sent']);
  });

  it('sends at most 3 emails an hour to one address, then answers the same and sends nothing', async () => {
    const before = sinkCount();
    const now = new Date('2026-02-01T10:00:00Z');
    const results = [];
    for (let i = 0; i < 6; i++)
      results.push(await subscribe(db(), mailer, { ...base(), email: 'victim@example.com', now }));
    expect(sinkCount()).toBe(before + 3);
    expect(results.map((r) => r.email)).toEqual(Array(6).fill('victim@example.com'));
    expect(results.slice(3).map((r) => r.outcome)).toEqual(['limited', 'limited', 'limited']);
    // The last link sent still works: a refused sign-up changes nothing.
    const token = linkToken(last().text, `${SITE}/subscribe/confirm`);
    expect((await confirmSubscription(db(), token, now)).status).toBe('ok');
  });

  it('limits sign-ups per IP', async () => {
    const ip = '192.0.2.1';
    for (let i = 0; i < 10; i++) await subscribe(db(), mailer, { ...base(), ip, email: `ip${i}@example.com` });
    const err = await subscribe(db(), mailer, { ...base(), ip, email: 'ip10@example.com' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TooManyRequestsError);
    expect((err as TooManyRequestsError).status).toBe(429);
  });

  it('refuses bad addresses and unknown or internal components with 422 field errors', async () => {
    const before = sinkCount();
    for (const [input, field] of [
      [{ email: 'not-an-email' }, 'email'],
      [{ email: '' }, 'email'],
      [{ email: 'ok@example.com', componentIds: ['nosuch'] }, 'components'],
      [{ email: 'ok@example.com', componentIds: [s.components.secretComponent.id] }, 'components'],
      [{ email: 'ok@example.com', componentIds: [s.components.hiddenChild.id] }, 'components'],
    ] as const) {
      const err = await subscribe(db(), mailer, { ...base(), ...input }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).status).toBe(422);
      expect(Object.keys((err as ValidationError).fields)).toEqual([field]);
      // Never names an internal component.
      expect(JSON.stringify((err as ValidationError).fields)).not.toContain(s.components.secretComponent.id);
    }
    expect(sinkCount()).toBe(before);
    expect(await db().select().from(subscribers).where(eq(subscribers.email, 'ok@example.com'))).toEqual([]);
  });

  it('offers only public components, grouped', async () => {
    const groups = await loadSubscribeOptions(db());
    const ids = groups.flatMap((g) => g.components.map((c) => c.id));
    expect(ids).toContain(s.components.rest.id);
    expect(ids).not.toContain(s.components.secretComponent.id);
    expect(ids).not.toContain(s.components.hiddenChild.id);
  });
});
