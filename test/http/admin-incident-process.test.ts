/**
 * The incident process in the admin over HTTP (issue 5, phases 2, 3, 6 and 7): the Response
 * form saves links and assessment answers and shows the channel topic; "Suggest severity"
 * re-renders with the suggestion and every answer kept; the Roles form records the change in
 * the timeline; resolving shows a pre-filled recap and all-clear, and only the all-clear is
 * public; the post-mortem is saved, previewed and published; bad input re-renders, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComponent } from '../../src/server/components/service.ts';
import { createIncident } from '../../src/server/incidents/service.ts';
import { createUser } from '../../src/server/users/service.ts';
import { createBrowser, type Browser } from '../helpers/browser.ts';
import { startScenarioServer } from '../helpers/server.ts';

const PASSWORD = 'correct-horse-battery';
const system = { type: 'system' as const, name: 'test' };
const RECAP_SECRET = 'recap-only-for-staff-7f3a';

type Prepared = { incident: string; internal: string; ana: string };
let env: Awaited<ReturnType<typeof startScenarioServer<Prepared>>>;
let url: string;
const as: Record<'viewer' | 'responder' | 'comms', Browser> = {} as never;

beforeAll(async () => {
  env = await startScenarioServer(
    {},
    {
      async prepare(db) {
        let ana = '';
        for (const role of ['viewer', 'responder', 'comms', 'admin']) {
          const user = await createUser(db, system, {
            email: `${role}@example.com`,
            role,
            password: PASSWORD,
            name: role === 'comms' ? 'Ana Lima' : '',
          });
          if (role === 'comms') ana = user.id;
        }
        const checkout = await createComponent(db, system, { name: 'Checkout' });
        const { incident } = await createIncident(db, system, {
          name: 'Checkout errors',
          status: 'investigating',
          severity: 2,
          visibility: 'public',
          body: 'We are investigating errors at checkout.',
          notify: false,
          components: { [checkout.id]: 'partial_outage' },
        });
        const { incident: internal } = await createIncident(db, system, {
          name: 'Queue backlog',
          status: 'investigating',
          severity: 3,
          visibility: 'internal',
          body: 'Workers are slow.',
        });
        return { incident: incident.id, internal: internal.id, ana };
      },
    },
  );
  url = env.server.url;
  for (const role of ['viewer', 'responder', 'comms'] as const) {
    as[role] = createBrowser(url);
    expect((await as[role].signIn(`${role}@example.com`, PASSWORD)).status).toBe(303);
  }
});
afterAll(async () => {
  await env?.stop();
});

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

function textarea(html: string, name: string): string {
  return decode(new RegExp(`<textarea[^>]*name="${name}"[^>]*>([^<]*)</textarea>`).exec(html)![1]);
}

/** A textarea's text by its id (several forms on the incident page have a `body`). */
function textareaById(html: string, id: string): string {
  return decode(new RegExp(`<textarea[^>]*id="${id}"[^>]*>([^<]*)</textarea>`).exec(html)![1]);
}

function inputValue(html: string, id: string): string | undefined {
  const m = new RegExp(`<input[^>]*id="${id}"[^>]*value="([^"]*)"|<input[^>]*value="([^"]*)"[^>]*id="${id}"`).exec(
    html,
  );
  return m ? decode(m[1] ?? m[2]) : undefined;
}

function fieldError(html: string, id: string): string | undefined {
  const m = new RegExp(`id="${id}-error"[^>]*>([^<]*)<`).exec(html);
  return m ? decode(m[1]) : undefined;
}

function previewFields(html: string): Record<string, string> {
  const start = html.indexOf('class="preview-actions"');
  expect(start, 'the page is a preview').toBeGreaterThan(-1);
  const form = html.slice(start, html.indexOf('</form>', start));
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
    fields[decode(m[1])] = decode(m[2]);
  return fields;
}

const json = async (path: string) => (await fetch(url + path)).json();
const text = async (path: string) => (await fetch(url + path)).text();

const ANSWERS = {
  impact_customer: 'Payments fail at checkout',
  impact_visible: 'An error page after “Pay”',
  impact_scope: 'some',
  impact_started_at: '2026-03-01T09:30',
  support_cases: '12',
  core_feature: 'true',
};

describe('the Response form (phases 2 and 3)', () => {
  it('suggests a severity without JavaScript, keeping every answer', async () => {
    const id = env.prepared.incident;
    await as.responder.get(`/admin/incidents/${id}`);
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'process',
      step: 'suggest',
      chat_url: 'https://chat.example.com/inc',
      ...ANSWERS,
      security: 'true',
    });
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/Suggested: <span data-suggested-label[^>]*>Sev 1<\/span>/);
    expect(r.text).toContain('A security breach is Sev 1.');
    expect(textarea(r.text, 'impact_customer')).toBe('Payments fail at checkout');
    expect(inputValue(r.text, 'process-chat-url')).toBe('https://chat.example.com/inc');
    expect(inputValue(r.text, 'process-impact-started-at')).toBe('2026-03-01T09:30');
    expect(r.text).toMatch(/name="security" value="true" checked/);
    expect(r.text).toMatch(/value="some" selected/);
    // A responder cannot change a public incident's severity: the suggestion is shown, not applied.
    expect(r.text).toContain('Only comms or admins change the severity of a public incident');

    const c = await as.comms.get(`/admin/incidents/${id}`);
    expect(c.status).toBe(200);
    const s = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'process',
      step: 'suggest',
      severity: '2',
      ...ANSWERS,
      core_feature: '',
      impact_scope: 'all',
    });
    expect(s.status).toBe(200);
    expect(s.text).toContain('All customers are affected: Sev 1.');
    // The process form's picker has Sev 1 pre-selected; the person still saves it.
    const form = s.text.slice(s.text.indexOf('name="action" value="process"'));
    expect(form).toMatch(/name="severity" value="1" checked/);
  });

  it('saves links and answers, and shows the channel topic with them', async () => {
    const id = env.prepared.incident;
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'process',
      step: 'save',
      chat_url: 'https://chat.example.com/inc',
      video_url: 'https://meet.example.com/abc',
      ticket_url: 'https://tickets.example.com/T-9',
      severity: '2',
      ...ANSWERS,
    });
    expect(r.status, r.text.slice(0, 300)).toBe(303);
    expect(r.location).toBe(`/admin/incidents/${id}?done=process`);
    const page = await as.responder.get(r.location!);
    expect(page.text).toContain('The links and the assessment are saved.');
    const topic = inputValue(page.text, 'channel-topic')!;
    expect(topic).toMatch(/^INC-\d+ · Sev 2 · Investigating · Checkout errors · IM: unassigned · /);
    expect(topic).toContain('Chat: https://chat.example.com/inc');
    expect(topic).toContain('Video: https://meet.example.com/abc');
    expect(topic).toContain('Ticket: https://tickets.example.com/T-9');
    expect(page.text).toContain('data-copy="channel-topic"');
    expect(page.text).toContain('src="/admin/copy.js"');
    expect(textarea(page.text, 'impact_visible')).toBe('An error page after “Pay”');
    expect(inputValue(page.text, 'process-support-cases')).toBe('12');
    expect(page.text).toMatch(/name="core_feature" value="true" checked/);
    // The severity shows its expected response.
    expect(page.text).toContain('Page the on-call responders now; work it until mitigated.');
    // Internal facts: never on the public page.
    expect(await text(`/incidents/${id}`)).not.toContain('chat.example.com');
  });

  it('re-renders an invalid URL or date with the message and the values kept, never a 500', async () => {
    const id = env.prepared.incident;
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'process',
      step: 'save',
      chat_url: 'javascript:alert(1)',
      video_url: 'https://meet.example.com/abc',
      ...ANSWERS,
      impact_started_at: '2026-02-31T10:00',
      support_cases: 'many',
    });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'process-chat-url')).toBe('Enter an http:// or https:// address');
    expect(fieldError(r.text, 'process-impact-started-at')).toBe('Enter the date and time the impact started');
    expect(inputValue(r.text, 'process-video-url')).toBe('https://meet.example.com/abc');
    expect(textarea(r.text, 'impact_customer')).toBe('Payments fail at checkout');
    const bad = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'process',
      step: 'save',
      support_cases: '-3',
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'process-support-cases')).toMatch(/at least 0/);
  });

  it('asks the assessment on the new-incident form and suggests there too', async () => {
    const form = await as.comms.get('/admin/incidents/new');
    expect(form.text).toContain('Impact assessment');
    expect(form.text).toContain('Page the on-call responders now, any hour; all hands until mitigated.');
    const r = await as.comms.post('/admin/incidents/new', {
      step: 'suggest',
      name: 'Login slow',
      severity: '',
      visibility: 'internal',
      status: 'investigating',
      body: 'Looking.',
      impact_customer: 'Slow logins',
      workaround: 'true',
      idempotency_key: 'k-new-suggest-1',
    });
    expect(r.status).toBe(200);
    expect(r.text).toContain('A minor inconvenience with a workaround: Sev 3.');
    expect(r.text).toMatch(/name="severity" value="3" checked/);
    expect(r.text).toContain('value="Login slow"');
    expect(textarea(r.text, 'impact_customer')).toBe('Slow logins');
    const opened = await as.comms.post('/admin/incidents/new', {
      step: 'review',
      name: 'Login slow',
      severity: '3',
      visibility: 'internal',
      status: 'investigating',
      body: 'Looking.',
      impact_customer: 'Slow logins',
      workaround: 'true',
      idempotency_key: 'k-new-suggest-1',
    });
    expect(opened.status).toBe(303);
    const page = await as.comms.get(opened.location!);
    expect(textarea(page.text, 'impact_customer')).toBe('Slow logins');
    expect(page.text).toMatch(/name="workaround" value="true" checked/);
  });
});

describe('the Roles form (phase 6)', () => {
  it('assigns roles, shows each role’s responsibilities, and notes the change in the timeline', async () => {
    const id = env.prepared.incident;
    const page = await as.responder.get(`/admin/incidents/${id}`);
    expect(page.text).toContain('Runs the response: sets the severity');
    expect(page.text).toMatch(/<option value(="")? selected>Unassigned<\/option>/);
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'roles',
      incident_manager_id: env.prepared.ana,
      tech_lead_id: '',
      comms_lead_id: '',
    });
    expect(r.location).toBe(`/admin/incidents/${id}?done=roles`);
    const after = await as.responder.get(r.location!);
    expect(after.text).toContain('Ana Lima is now incident manager (was: unassigned).');
    expect(inputValue(after.text, 'channel-topic')).toContain('IM: Ana Lima');
    // Staff only: not on the public page, not in the API.
    expect(await text(`/incidents/${id}`)).not.toContain('incident manager');
    const { incidents } = await json('/api/v2/incidents.json');
    expect(JSON.stringify(incidents.find((i: { id: string }) => i.id === id))).not.toContain('Ana Lima');
  });

  it('refuses a viewer (403) and names an unknown user (422)', async () => {
    const id = env.prepared.incident;
    const page = await as.viewer.get(`/admin/incidents/${id}`);
    expect(page.text).not.toContain('name="action" value="roles"');
    expect(page.text).toContain('Ana Lima');
    const v = await as.viewer.post(`/admin/incidents/${id}`, { action: 'roles', tech_lead_id: env.prepared.ana });
    expect(v.status).toBe(403);
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'roles',
      incident_manager_id: env.prepared.ana,
      tech_lead_id: 'nosuchuser00',
      comms_lead_id: '',
    });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'role-tech-lead-id')).toBe('There is no user nosuchuser00');
  });
});

describe('resolving and the post-mortem (phase 7)', () => {
  it('pre-fills the recap and the all-clear; only the all-clear is public', async () => {
    const id = env.prepared.incident;
    const page = await as.comms.get(`/admin/incidents/${id}`);
    const recap = textarea(page.text, 'recap');
    expect(recap).toContain('- Impact: Payments fail at checkout');
    expect(recap).toMatch(/- Duration: .+ \(from .+ to .+, UTC\)/);
    expect(recap).toContain('- Support cases: 12');
    expect(recap).toContain('- Components affected: Checkout');
    const allClear = textareaById(page.text, 'resolve-body');
    expect(allClear).toContain('Checkout');
    expect(allClear).not.toContain('{{');

    const key = /name="action" value="resolve"[^]*?name="idempotency_key" value="([^"]+)"/.exec(page.text)![1];
    const preview = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'resolve',
      step: 'review',
      recap: `${recap}\n\n${RECAP_SECRET}`,
      body: allClear,
      notify: '',
      template_id: 'defaultresolvedexternal',
      idempotency_key: key,
    });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('The recap stays internal');
    const shown = preview.text.slice(
      preview.text.indexOf('data-preview="page"'),
      preview.text.indexOf('class="preview-actions"'),
    );
    expect(shown).toContain(allClear.split('\n')[0]);
    expect(shown).not.toContain(RECAP_SECRET);
    const r = await as.comms.post(`/admin/incidents/${id}`, { ...previewFields(preview.text), step: 'publish' });
    expect(r.location).toBe(`/admin/incidents/${id}?done=resolved`);

    const staff = await as.comms.get(`/admin/incidents/${id}`);
    expect(staff.text).toContain(RECAP_SECRET);
    for (const path of [`/incidents/${id}`, '/api/v2/incidents.json', '/feed.rss', '/history']) {
      expect(await text(path), path).not.toContain(RECAP_SECRET);
    }
    const { incidents } = await json('/api/v2/incidents.json');
    expect(incidents.find((i: { id: string }) => i.id === id).status).toBe('resolved');
  });

  it('closes an internal incident with its recap, without an all-clear field', async () => {
    const id = env.prepared.internal;
    const page = await as.responder.get(`/admin/incidents/${id}`);
    expect(page.text).not.toContain('All-clear (customers)');
    const key = /name="action" value="resolve"[^]*?name="idempotency_key" value="([^"]+)"/.exec(page.text)![1];
    const r = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'resolve',
      step: 'review',
      recap: 'Impact: none. Internal queue only.',
      body: '',
      template_id: '',
      idempotency_key: key,
    });
    expect(r.location).toBe(`/admin/incidents/${id}?done=resolved`);
    expect((await as.responder.get(`/admin/incidents/${id}`)).text).toContain('Impact: none. Internal queue only.');
  });

  it('saves a post-mortem draft (internal), then previews and publishes it', async () => {
    const id = env.prepared.incident;
    const page = await as.responder.get(`/admin/incidents/${id}`);
    expect(page.text).toContain('You can save the draft; comms or admins publish it.');
    const draft = '# What happened\n\nA bad deploy broke payments. DRAFT-ONLY';
    const saved = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'postmortem',
      step: 'save',
      body: draft,
    });
    expect(saved.location).toBe(`/admin/incidents/${id}?done=postmortem-saved`);
    expect(await text(`/incidents/${id}`)).not.toContain('DRAFT-ONLY');
    // A responder cannot publish it, even with a forged form.
    const forged = await as.responder.post(`/admin/incidents/${id}`, {
      action: 'postmortem',
      step: 'publish',
      body: draft,
    });
    expect(forged.status).toBe(403);

    const c = await as.comms.get(`/admin/incidents/${id}`);
    expect(textareaById(c.text, 'postmortem-body')).toBe(draft);
    const final = '# What happened\n\nA bad deploy broke payments for 40 minutes.';
    const preview = await as.comms.post(`/admin/incidents/${id}`, {
      action: 'postmortem',
      step: 'review',
      body: final,
      notify: '',
    });
    expect(preview.status).toBe(200);
    expect(preview.text).toContain('Check before publishing the post-mortem');
    expect(preview.text).toContain('<h3>What happened</h3>');
    expect(preview.text).toContain('Subscribers will not be emailed');
    const r = await as.comms.post(`/admin/incidents/${id}`, { ...previewFields(preview.text), step: 'publish' });
    expect(r.location).toBe(`/admin/incidents/${id}?done=postmortem-published`);
    const pub = await text(`/incidents/${id}`);
    expect(pub).toContain('A bad deploy broke payments for 40 minutes.');
    const { incidents } = await json('/api/v2/incidents.json');
    const mine = incidents.find((i: { id: string }) => i.id === id);
    expect(mine.status).toBe('postmortem');
    expect(mine.incident_updates[0].status).toBe('postmortem');
    expect(mine.resolved_at).not.toBeNull();
    expect(await text('/feed.rss')).toContain('A bad deploy broke payments for 40 minutes.');
  });

  it('re-renders an empty post-mortem with a message', async () => {
    const id = env.prepared.incident;
    const r = await as.comms.post(`/admin/incidents/${id}`, { action: 'postmortem', step: 'review', body: '  ' });
    expect(r.status).toBe(422);
    expect(fieldError(r.text, 'postmortem-body')).toBe('Write the post-mortem');
  });
});

describe('severity definitions in Settings', () => {
  it('lets an admin edit examples and the expected response, shown where a severity is chosen', async () => {
    const admin = createBrowser(url);
    expect((await admin.signIn('admin@example.com', PASSWORD)).status).toBe(303);
    const form = await admin.get('/admin/settings');
    expect(textarea(form.text, 'severity_definitions.1.examples')).toContain('Data loss or data corruption');
    expect(inputValue(form.text, 'severity_definitions-3-response')).toBe('Handle during business hours; no page.');
    const fields: Record<string, string> = {
      page_name: 'Vigie',
      home_url: '',
      time_zone: 'UTC',
      locale: 'en',
      email_from: '',
    };
    for (const n of [1, 2, 3]) {
      fields[`severity_definitions.${n}.label`] = `Sev ${n}`;
      fields[`severity_definitions.${n}.description`] = `Level ${n} description`;
      fields[`severity_definitions.${n}.examples`] = `Example ${n}a\r\n\r\nExample ${n}b`;
      fields[`severity_definitions.${n}.response`] = n === 3 ? 'Next business day.' : `Page now (${n}).`;
    }
    const bad = await admin.post('/admin/settings', {
      ...fields,
      'severity_definitions.2.response': '',
      'severity_definitions.1.examples': Array.from({ length: 11 }, (_, i) => `e${i}`).join('\n'),
    });
    expect(bad.status).toBe(422);
    expect(fieldError(bad.text, 'severity_definitions-2-response')).toMatch(/Say what response is expected/);
    expect(fieldError(bad.text, 'severity_definitions-1-examples')).toBe('Give at most 10 examples');
    expect(textarea(bad.text, 'severity_definitions.3.examples')).toContain('Example 3b');

    const ok = await admin.post('/admin/settings', fields);
    expect(ok.status).toBe(200);
    expect(textarea(ok.text, 'severity_definitions.3.examples')).toBe('Example 3a\nExample 3b');

    const picker = await as.comms.get('/admin/incidents/new');
    expect(picker.text).toContain('Response: Next business day.');
    expect(picker.text).toContain('For example: Example 3a; Example 3b.');
    const list = await as.comms.get('/admin/incidents');
    expect(list.text).toMatch(/Page now \(\d\)\.|Next business day\./);
  });
});
