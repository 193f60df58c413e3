import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../../src/server/auth/permissions.ts';
import { NotFoundError, ValidationError } from '../../src/server/errors.ts';
import { DEFAULT_TEMPLATE_IDS } from '../../src/server/templates/defaults.ts';
import { getTemplate, listTemplates } from '../../src/server/templates/queries.ts';
import { createTemplate, deleteTemplate, updateTemplate } from '../../src/server/templates/service.ts';
import { fillTemplateText, TEMPLATE_PLACEHOLDERS, templateValues } from '../../src/server/templates/values.ts';
import { listPlaceholders } from '../../src/domain/templates.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { admin, comms, responder, viewer } from '../helpers/principals.ts';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());
const db = () => t.handle.db;

describe('default templates', () => {
  it('every install has them, once, for every stage, internal and external', async () => {
    const all = await listTemplates(db());
    const ids = Object.values(DEFAULT_TEMPLATE_IDS).flatMap((byAudience) => Object.values(byAudience));
    expect(all.map((tpl) => tpl.id).sort()).toEqual([...ids].sort());
    const investigating = await getTemplate(db(), DEFAULT_TEMPLATE_IDS.investigating.internal);
    expect(investigating!.body).toBe(
      'We are investigating an incident affecting {{components}}: {{impact}}. We will post updates by email and on the status page shortly.',
    );
    const external = await getTemplate(db(), DEFAULT_TEMPLATE_IDS.investigating.external);
    expect(`${external!.title}. ${external!.body}`).toBe(
      'Investigating issues with {{components}}. We are looking into problems with {{components}} and will post updates here soon.',
    );
    const recap = await getTemplate(db(), DEFAULT_TEMPLATE_IDS.resolved.internal);
    expect(listPlaceholders(recap!.body)).toEqual(expect.arrayContaining(['impact', 'duration', 'support_cases']));
    expect((await listTemplates(db(), { kind: 'maintenance' })).every((tpl) => tpl.kind === 'maintenance')).toBe(true);
  });

  it('use only placeholders Vigie fills', async () => {
    for (const tpl of await listTemplates(db())) {
      for (const name of [...listPlaceholders(tpl.title), ...listPlaceholders(tpl.body)]) {
        expect(Object.keys(TEMPLATE_PLACEHOLDERS), `${tpl.id}: {{${name}}}`).toContain(name);
      }
    }
  });
});

describe('templateValues', () => {
  const settings = { pageName: 'Acme Cloud', timeZone: 'Europe/Paris', locale: 'en' };
  const now = new Date('2026-03-02T10:03:00Z');

  it('fills every placeholder from the incident, the settings and the clock', () => {
    const values = templateValues(
      {
        name: 'API errors',
        severity: 2,
        status: 'identified',
        startedAt: new Date('2026-03-02T08:33:00Z'),
        components: [{ name: 'REST API' }, { name: 'Webhooks' }, { name: 'Dashboard' }],
        impactCustomer: 'API calls fail for 20% of requests',
        supportCases: 12,
      },
      settings,
      now,
    );
    expect(values).toMatchObject({
      components: 'REST API, Webhooks and Dashboard',
      impact: 'API calls fail for 20% of requests',
      page_name: 'Acme Cloud',
      severity: 'Sev 2',
      duration: '1 h 30 min',
      support_cases: '12',
      name: 'API errors',
      status: 'Identified',
    });
    expect(values.started_at).toMatch(/Mar 2, 2026, 09:33/);
    // 30 minutes ahead, rounded up to 5 minutes: 10:35 UTC = 11:35 Paris.
    expect(values.next_update).toMatch(/11:35/);
    expect(Object.keys(values).sort()).toEqual(Object.keys(TEMPLATE_PLACEHOLDERS).sort());
  });

  it('never leaves a placeholder empty', () => {
    const values = templateValues({ components: [] }, settings, now);
    for (const [name, value] of Object.entries(values)) expect(value, name).not.toBe('');
    expect(values.components).toBe('our services');
    const filled = fillTemplateText({ title: '{{components}}', body: '{{impact}} {{unknown}}' }, values);
    expect(filled.title).toEqual({ text: 'our services', missing: [] });
    expect(filled.body.missing).toEqual(['unknown']);
  });
});

describe('template services', () => {
  it('comms and admin manage templates; others cannot', async () => {
    const input = { name: 'Degraded (customers)', audience: 'external' as const, body: '{{components}} is slow.' };
    for (const caller of [viewer, responder]) {
      await expect(createTemplate(db(), caller, input)).rejects.toBeInstanceOf(ForbiddenError);
    }
    const tpl = await createTemplate(db(), comms, { ...input, status: 'identified', title: '{{components}} slow' });
    expect(tpl).toMatchObject({ kind: 'incident', status: 'identified', title: '{{components}} slow' });
    await expect(updateTemplate(db(), responder, tpl.id, { name: 'x' })).rejects.toBeInstanceOf(ForbiddenError);
    expect((await updateTemplate(db(), admin, tpl.id, { body: 'Slow: {{components}}' })).body).toBe(
      'Slow: {{components}}',
    );
    await expect(deleteTemplate(db(), responder, tpl.id)).rejects.toBeInstanceOf(ForbiddenError);
    await deleteTemplate(db(), comms, tpl.id);
    expect(await getTemplate(db(), tpl.id)).toBeNull();
    await expect(deleteTemplate(db(), comms, tpl.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('names the bad fields, and checks the status fits the kind', async () => {
    const err = await createTemplate(db(), comms, {
      name: '',
      audience: 'customers' as never,
      body: '',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toEqual({
      name: 'Give the template a name',
      audience: 'Choose external (customers) or internal (staff)',
      body: 'Write the template text',
    });
    const wrongKind = await createTemplate(db(), comms, {
      name: 'x',
      audience: 'external',
      kind: 'maintenance',
      status: 'investigating',
      body: 'x',
    }).catch((e: unknown) => e);
    expect((wrongKind as ValidationError).fields).toEqual({ status: expect.stringContaining('in_progress') });
  });
});
