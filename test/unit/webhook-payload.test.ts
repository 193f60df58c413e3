import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  mayReceive,
  renderBody,
  signatureHeaders,
  slackEscape,
  type EventContext,
} from '../../src/server/webhooks/payload.ts';
import { retryAfterMs } from '../../src/server/webhooks/worker.ts';

const at = new Date('2026-11-25T14:03:00Z');
const incident: NonNullable<EventContext['incident']> = {
  id: 'inc123',
  number: 7,
  kind: 'incident',
  name: 'API <down> & out',
  status: 'identified',
  severity: 2,
  visibility: 'public',
  startedAt: at,
  resolvedAt: null,
  chatUrl: 'https://chat.example.com/room?a=1&b=2',
  videoUrl: null,
  ticketUrl: null,
};
const update: NonNullable<EventContext['update']> = {
  id: 'upd123',
  status: 'identified',
  body: 'Found **it**: see [the runbook](https://x.example.com).',
  audience: 'public',
  displayAt: at,
};
const ctx = (extra: Partial<EventContext> = {}): EventContext => ({
  key: 'evt_1',
  event: 'incident.update_posted',
  at,
  siteUrl: 'https://status.example.com/',
  pageName: 'Acme',
  incident,
  update,
  roles: { incidentManager: 'Ann', techLead: null, commsLead: null },
  ...extra,
});

describe('webhook payloads', () => {
  it('keeps internal incidents and updates from public webhooks', () => {
    const internalIncident = ctx({ incident: { ...incident, visibility: 'internal' } });
    const internalUpdate = ctx({ update: { ...update, audience: 'internal' } });
    for (const c of [internalIncident, internalUpdate]) {
      expect(mayReceive(c, false)).toBe(false);
      expect(mayReceive(c, true)).toBe(true);
      expect(() => renderBody('signed', false, c)).toThrow(/internal webhooks only/);
    }
  });

  it('gives public webhooks the impact and public URL; internal ones the severity, roles, links and staff URL', () => {
    const pub = JSON.parse(renderBody('signed', false, ctx()));
    expect(pub).toEqual({
      id: 'evt_1',
      event: 'incident.update_posted',
      created_at: '2026-11-25T14:03:00.000Z',
      incident: {
        id: 'inc123',
        name: 'API <down> & out',
        status: 'identified',
        impact: 'major',
        url: 'https://status.example.com/incidents/inc123',
        started_at: '2026-11-25T14:03:00.000Z',
        resolved_at: null,
      },
      update: { id: 'upd123', status: 'identified', body: update.body, created_at: '2026-11-25T14:03:00.000Z' },
    });
    const internal = JSON.parse(renderBody('signed', true, ctx()));
    expect(internal.incident).toMatchObject({
      url: 'https://status.example.com/internal/incidents/inc123',
      severity: 2,
      severity_label: 'Sev 2',
      key: 'INC-7',
      roles: { incident_manager: 'Ann' },
      links: { chat: incident.chatUrl },
    });
    expect(internal.update.audience).toBe('public');
  });

  it('writes Slack text without Markdown and with &, < and > escaped', () => {
    const slack = JSON.parse(renderBody('slack', false, ctx()));
    expect(slack.text).toBe('Acme: Update: Identified: API &lt;down&gt; &amp; out — Found it: see the runbook.');
    expect(slack.blocks[0].text.text).toBe(
      '*<https://status.example.com/incidents/inc123|API &lt;down&gt; &amp; out>*\nUpdate: Identified',
    );
    expect(JSON.stringify(slack)).not.toContain('Sev');
    const internal = JSON.parse(renderBody('slack', true, ctx()));
    expect(internal.blocks.at(-1).elements[0].text).toContain('<https://chat.example.com/room?a=1&amp;b=2|Chat>');
    expect(slackEscape('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256', () => {
    const h = signatureHeaders('s3cret', '{"a":1}', at);
    expect(h['X-Vigie-Timestamp']).toBe(String(at.getTime() / 1000));
    const hex = createHmac('sha256', 's3cret').update(`${h['X-Vigie-Timestamp']}.{"a":1}`).digest('hex');
    expect(h['X-Vigie-Signature']).toBe(`v1=${hex}`);
  });

  it('reads Retry-After in seconds or as a date, capped at an hour', () => {
    expect(retryAfterMs('5', at)).toBe(5_000);
    expect(retryAfterMs(new Date(at.getTime() + 90_000).toUTCString(), at)).toBe(90_000);
    expect(retryAfterMs('999999', at)).toBe(3_600_000);
    expect(retryAfterMs('soon', at)).toBe(0);
    expect(retryAfterMs(null, at)).toBe(0);
  });
});
