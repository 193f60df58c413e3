/**
 * The outgoing webhook pages over HTTP (/admin/webhooks…): an admin adds one through the
 * form and sees its secret; edits it, turns it off, replaces the secret, queues a test and
 * deletes it; bad input re-renders the form with the input kept; other roles get 403; a POST
 * without the CSRF token is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/domain/enums.ts';
import { createSession } from '../../src/server/auth/sessions.ts';
import { addUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { startScenarioServer } from '../helpers/server.ts';

const system = { type: 'system' as const, name: 'test' };

let env: Awaited<ReturnType<typeof startScenarioServer<Record<Role, string>>>>;
const as = {} as Record<Role, Browser>;

beforeAll(async () => {
  env = await startScenarioServer(
    {},
    {
      async prepare(db) {
        const tokens = {} as Record<Role, string>;
        for (const role of ROLES) {
          const { user } = await addUser(db, system, {
            email: `${role}@example.com`,
            role,
            password: 'correct-horse-battery',
          });
          tokens[role] = (await createSession(db, user.id)).token;
        }
        return tokens;
      },
    },
  );
  for (const role of ROLES) {
    as[role] = createBrowser(env.server.url);
    as[role].cookies.set('vigie_session', env.prepared[role]);
  }
});
afterAll(async () => {
  await env?.stop();
});

function words(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

function fieldError(html: string, id: string): string | undefined {
  const m = new RegExp(`<span[^>]*class="field-error"[^>]*id="${id}-error"[^>]*>([\\s\\S]*?)</span>`).exec(html);
  return m ? words(m[1]).trim() : undefined;
}

function inputValue(html: string, id: string): string | undefined {
  const tag = new RegExp(`<input[^>]*\\bid="${id}"[^>]*>`).exec(html)?.[0];
  return tag ? /\bvalue="([^"]*)"/.exec(tag)?.[1] : undefined;
}

const secretOf = (html: string) =>
  /<code class="secret"[^>]*id="webhook-secret"[^>]*>\s*([^<\s]+)\s*<\/code>/.exec(html)?.[1];

describe('/admin/webhooks', () => {
  it('an admin adds a signed webhook through the form, and its page shows the secret', async () => {
    const a = as.admin;
    const list = await a.get('/admin/webhooks');
    expect(list.status).toBe(200);
    expect(list.text).toContain('href="/admin/webhooks"');
    const made = await a.post('/admin/webhooks', {
      name: 'Pager bridge',
      url: 'https://hooks.example.com/vigie',
      format: 'signed',
      events: 'incident.created',
      enabled: 'on',
    });
    expect(made.status).toBe(303);
    const id = /^\/admin\/webhooks\/([a-z0-9]+)\?done=created$/.exec(made.location ?? '')?.[1];
    expect(id).toBeTruthy();
    const page = await a.get(made.location!);
    expect(page.status).toBe(200);
    expect(words(page.text)).toContain('The webhook is added');
    const secret = secretOf(page.text);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(words(page.text)).toContain('https://hooks.example.com/vigie');
    expect(words(page.text)).toContain('public events only');

    const again = await a.get('/admin/webhooks');
    expect(again.text).toContain(`id="webhook-${id}"`);
    expect(words(again.text)).toContain('Pager bridge');
    expect(again.text).not.toContain(secret!);

    // Edit, turn off, replace the secret, queue a test, delete.
    const saved = await a.post(`/admin/webhooks/${id}`, {
      action: 'save',
      name: 'Pager bridge (prod)',
      url: 'https://hooks.example.com/vigie',
      format: 'signed',
      events: 'incident.resolved',
      internal: 'on',
      enabled: 'on',
    });
    expect(saved.location).toBe(`/admin/webhooks/${id}?done=saved`);
    const edited = await a.get(saved.location!);
    expect(words(edited.text)).toContain('Pager bridge (prod)');
    expect(words(edited.text)).toContain('internal events included');
    expect(edited.text).toMatch(/<input[^>]*value="incident.resolved"[^>]*checked/);
    expect(edited.text).not.toMatch(/<input[^>]*value="incident.created"[^>]*checked/);

    expect((await a.post(`/admin/webhooks/${id}`, { action: 'disable' })).location).toBe(
      `/admin/webhooks/${id}?done=disabled`,
    );
    expect(words((await a.get(`/admin/webhooks/${id}`)).text)).toContain('It is off');
    expect((await a.post(`/admin/webhooks/${id}`, { action: 'rotate' })).location).toBe(
      `/admin/webhooks/${id}?done=rotated`,
    );
    const rotated = secretOf((await a.get(`/admin/webhooks/${id}`)).text);
    expect(rotated).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated).not.toBe(secret);
    expect((await a.post(`/admin/webhooks/${id}`, { action: 'test' })).location).toBe(
      `/admin/webhooks/${id}?done=test`,
    );
    const withTest = await a.get(`/admin/webhooks/${id}`);
    expect(words(withTest.text)).toMatch(/Test .* Waiting/);
    expect((await a.post(`/admin/webhooks/${id}`, { action: 'explode' })).status).toBe(400);

    const ask = await a.get(`/admin/webhooks/${id}/delete`);
    expect(words(ask.text)).toContain('Delete the webhook “Pager bridge (prod)”?');
    const gone = await a.post(`/admin/webhooks/${id}/delete`, {});
    expect(gone.location).toBe('/admin/webhooks?done=deleted');
    expect((await a.get(`/admin/webhooks/${id}`)).status).toBe(404);
    expect((await a.get('/admin/webhooks/zzzzzzzzzzzz/delete')).status).toBe(404);
  });

  it('re-renders the form with the messages and the input kept', async () => {
    const a = as.admin;
    await a.get('/admin/webhooks');
    const bad = await a.post('/admin/webhooks', {
      name: 'Chat room',
      url: 'ftp://files.example.com/drop',
      format: 'slack',
      enabled: 'on',
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'url')).toBe('Enter an http:// or https:// address');
    expect(fieldError(bad.text, 'events')).toBe('Choose at least one event');
    expect(inputValue(bad.text, 'name')).toBe('Chat room');
    expect(inputValue(bad.text, 'url')).toBe('ftp://files.example.com/drop');
    expect(words((await a.get('/admin/webhooks')).text)).not.toContain('Chat room');
  });

  it('answers 403 to viewers, responders and comms, and adds nothing', async () => {
    for (const role of ['viewer', 'responder', 'comms'] as const) {
      const page = await as[role].get('/admin/webhooks');
      expect(page.status, role).toBe(403);
      expect(page.text).not.toContain('Add a webhook');
      expect(page.text).not.toContain('href="/admin/webhooks"');
      await as[role].get('/admin');
      const post = await as[role].post('/admin/webhooks', {
        name: `By ${role}`,
        url: 'https://x.example.com',
        format: 'slack',
        events: 'incident.created',
      });
      expect(post.status, role).toBe(403);
    }
    expect(words((await as.admin.get('/admin/webhooks')).text)).not.toContain('By comms');
  });

  it('refuses a POST without a valid CSRF token', async () => {
    const a = as.admin;
    await a.get('/admin/webhooks');
    for (const token of [null, 'x'.repeat(43)]) {
      const r = await a.post('/admin/webhooks', {
        name: 'Forged',
        url: 'https://evil.example.com',
        format: 'slack',
        events: 'incident.created',
        _csrf: token,
      });
      expect(r.status).toBe(403);
    }
    expect(words((await a.get('/admin/webhooks')).text)).not.toContain('Forged');
  });
});
