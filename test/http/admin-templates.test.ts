/**
 * The admin template pages over HTTP: comms create, edit and delete templates (with a
 * confirmation step), bad input re-renders the form with messages (422); responders and
 * viewers read them and every write of theirs is refused (403), with nothing changed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';

let env: Awaited<ReturnType<typeof startScenarioServer>>;
const as: Record<'viewer' | 'responder' | 'comms', Browser> = {} as never;

beforeAll(async () => {
  env = await startScenarioServer(
    {},
    {
      async prepare(db) {
        for (const role of ['viewer', 'responder', 'comms']) {
          await createUser(
            db,
            { type: 'system', name: 'test' },
            { email: `${role}@example.com`, role, password: PASSWORD },
          );
        }
      },
    },
  );
  for (const role of ['viewer', 'responder', 'comms'] as const) {
    as[role] = createBrowser(env.server.url);
    expect((await as[role].signIn(`${role}@example.com`, PASSWORD)).status).toBe(303);
  }
});
afterAll(async () => {
  await env?.stop();
});

function fieldError(html: string, id: string): string | undefined {
  return new RegExp(`id="${id}-error"[^>]*>([^<]*)<`).exec(html)?.[1];
}

/** The id of the template listed under this name. */
function templateId(listHtml: string, name: string): string | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`href="/admin/templates/([a-z0-9]+)"[^>]*>${escaped}<`).exec(listHtml)?.[1];
}

const valid = {
  name: 'Partial outage (customers)',
  audience: 'external',
  kind: 'incident',
  title: 'Partial outage of {{components}}',
  status: 'identified',
  body: 'Some requests to {{components}} fail. Next update by {{next_update}}.',
};

describe('templates for comms', () => {
  let id: string;

  it('lists every template, labelled, with the placeholders and what they fill', async () => {
    const r = await as.comms.get('/admin/templates');
    expect(r.status).toBe(200);
    expect(r.text).toContain('Investigating (customers)');
    expect(r.text).toContain('Resolved: recap (internal)');
    expect(r.text).toContain('class="internal-tag"');
    expect(r.text).toMatch(/<code[^>]*>\{\{components\}\}<\/code>/);
    expect(r.text).toContain('the affected components, e.g. &quot;REST API and Webhooks&quot;');
    expect(r.text).toContain('href="/admin/templates/new"');
    expect(r.text).toContain('href="/admin/incidents/new?template=defaultinvestigatingexternal"');
  });

  it('re-renders bad input with a message next to each field, keeping what was typed', async () => {
    await as.comms.get('/admin/templates/new');
    const empty = await as.comms.post('/admin/templates/new', { ...valid, name: '', body: '  ' });
    expect(empty.status).toBe(422);
    expect(fieldError(empty.text, 'name')).toBe('Give the template a name');
    expect(fieldError(empty.text, 'body')).toBe('Write the template text');
    expect(empty.text).toContain('value="Partial outage of {{components}}"');

    const cases: [Record<string, string>, string, RegExp][] = [
      [{ status: 'scheduled' }, 'status', /template for an incident is one of/],
      [{ status: 'exploded' }, 'status', /Choose one of/],
      [{ audience: 'everyone' }, 'audience', /external \(customers\) or internal/],
      [{ kind: 'meeting' }, 'kind', /incident or maintenance/],
      [{ body: 'x'.repeat(20_001) }, 'body', /Keep it under 20000 characters/],
      [{ title: 't'.repeat(256) }, 'title', /Keep it under 255 characters/],
    ];
    for (const [fields, field, message] of cases) {
      const r = await as.comms.post('/admin/templates/new', { ...valid, ...fields });
      expect(r.status, JSON.stringify(fields).slice(0, 60)).toBe(422);
      expect(fieldError(r.text, field) ?? '', field).toMatch(message);
    }
    expect(templateId((await as.comms.get('/admin/templates')).text, valid.name)).toBeUndefined();
  });

  it('creates one, usable to open an incident', async () => {
    const r = await as.comms.post('/admin/templates/new', valid);
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin/templates?done=created');
    const list = await as.comms.get(r.location!);
    expect(list.text).toContain('The template is created.');
    id = templateId(list.text, valid.name)!;
    expect(id).toBeTruthy();
    const form = await as.comms.get(`/admin/incidents/new?template=${id}`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('value="Partial outage of {{components}}"');
    expect(form.text).toContain('Some requests to {{components}} fail.');
  });

  it('shows it in the edit form, with an example filled in, and saves changes', async () => {
    const page = await as.comms.get(`/admin/templates/${id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`value="${valid.name}"`);
    expect(page.text).toContain('Some requests to REST API and Webhooks fail.');
    const bad = await as.comms.post(`/admin/templates/${id}`, { ...valid, name: '' });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'name')).toBe('Give the template a name');
    const r = await as.comms.post(`/admin/templates/${id}`, { ...valid, name: 'Partial outage v2', status: '' });
    expect(r.status).toBe(303);
    expect(r.location).toBe(`/admin/templates/${id}?done=saved`);
    const after = await as.comms.get(r.location!);
    expect(after.text).toContain('value="Partial outage v2"');
    expect(after.text).toContain('The template is saved.');
    expect(after.text).toMatch(/<option value(="")? selected>None: the person chooses/);
  });

  it('warns about placeholders Vigie does not fill', async () => {
    const r = await as.comms.post(`/admin/templates/${id}`, { ...valid, body: 'See {{ticket_url}}' });
    expect(r.status).toBe(303);
    expect((await as.comms.get(`/admin/templates/${id}`)).text).toContain('Vigie does not fill {{ticket_url}}');
  });

  it('deletes it after a confirmation step', async () => {
    const confirm = await as.comms.get(`/admin/templates/${id}/delete`);
    expect(confirm.status).toBe(200);
    expect(confirm.text).toContain('Delete “Partial outage (customers)”?');
    expect(confirm.text).toContain(`action="/admin/templates/${id}/delete"`);
    // Nothing is deleted by asking.
    expect((await as.comms.get(`/admin/templates/${id}`)).status).toBe(200);
    const r = await as.comms.post(`/admin/templates/${id}/delete`, {});
    expect(r.status).toBe(303);
    expect(r.location).toBe('/admin/templates?done=deleted');
    expect((await as.comms.get(`/admin/templates/${id}`)).status).toBe(404);
    expect((await as.comms.post(`/admin/templates/${id}/delete`, {})).status).toBe(404);
  });

  it('answers 404 for unknown templates', async () => {
    expect((await as.comms.get('/admin/templates/nosuchtemplate')).status).toBe(404);
    expect((await as.comms.get('/admin/templates/Bad-Id!')).status).toBe(404);
    expect((await as.comms.post('/admin/templates/nosuchtemplate', valid)).status).toBe(404);
  });
});

describe('templates for responders and viewers', () => {
  const existing = 'defaultinvestigatingexternal';

  for (const role of ['responder', 'viewer'] as const) {
    it(`${role}: reads them without any form`, async () => {
      const list = await as[role].get('/admin/templates');
      expect(list.status).toBe(200);
      expect(list.text).toContain('Investigating (customers)');
      expect(list.text).not.toContain('href="/admin/templates/new"');
      expect(list.text).not.toContain('/delete"');
      const page = await as[role].get(`/admin/templates/${existing}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('We are looking into problems with {{components}}');
      expect(page.text).not.toContain('<form class="form"');
      expect((await as[role].get('/admin/templates/new')).status).toBe(403);
      expect((await as[role].get(`/admin/templates/${existing}/delete`)).status).toBe(403);
    });

    it(`${role}: is refused every write, and nothing changes`, async () => {
      const created = await as[role].post('/admin/templates/new', { ...valid, name: `Made by ${role}` });
      expect(created.status).toBe(403);
      expect(created.text).toContain('<h1>Not allowed</h1>');
      expect(created.text).toContain(`Your role (${role}) cannot do this`);
      const edited = await as[role].post(`/admin/templates/${existing}`, { ...valid, name: `Renamed by ${role}` });
      expect(edited.status).toBe(403);
      const deleted = await as[role].post(`/admin/templates/${existing}/delete`, {});
      expect(deleted.status).toBe(403);
      const list = (await as.comms.get('/admin/templates')).text;
      expect(list).not.toContain(`Made by ${role}`);
      expect(list).not.toContain(`Renamed by ${role}`);
      expect(list).toContain('Investigating (customers)');
    });
  }
});
