/**
 * A small, known status page for integration and HTTP tests, built through the real
 * services. Every internal thing carries a marker string (INTERNAL_MARKER) in its name or
 * text, so a test can assert that no public surface ever contains it.
 */
import type { Db } from '../../src/db/client.ts';
import type { Actor } from '../../src/server/audit/service.ts';
import { createComponent, createGroup } from '../../src/server/components/service.ts';
import { createIncident, postUpdate } from '../../src/server/incidents/service.ts';

export const INTERNAL_MARKER = 'ZZ-INTERNAL-SECRET';

const actor: Actor = { type: 'system', name: 'test' };

const DAY = 86_400_000;

/** Seeds the scenario relative to `now` and returns the ids tests need. */
export async function seedScenario(db: Db, now = new Date()) {
  const ago = (days: number, hours = 0) => new Date(now.getTime() - days * DAY - hours * 3_600_000);

  const api = await createGroup(db, actor, { name: 'API', position: 1 });
  const web = await createGroup(db, actor, { name: 'Website', position: 2 });
  const secretGroup = await createGroup(db, actor, {
    name: `Ops ${INTERNAL_MARKER} group`,
    position: 3,
    visibility: 'internal',
  });

  const rest = await createComponent(db, actor, {
    name: 'REST API',
    groupId: api.id,
    position: 1,
    createdAt: ago(120),
  });
  const webhooks = await createComponent(db, actor, {
    name: 'Webhooks',
    groupId: api.id,
    position: 2,
    createdAt: ago(120),
  });
  const dashboard = await createComponent(db, actor, {
    name: 'Dashboard',
    groupId: web.id,
    position: 1,
    createdAt: ago(30),
  });
  const cdn = await createComponent(db, actor, { name: 'CDN', position: 4, createdAt: ago(120) });
  const secretComponent = await createComponent(db, actor, {
    name: `Billing ${INTERNAL_MARKER} worker`,
    description: `internal ${INTERNAL_MARKER}`,
    position: 5,
    visibility: 'internal',
    createdAt: ago(120),
  });
  // A public component inside an internal group: hidden with its group.
  const hiddenChild = await createComponent(db, actor, {
    name: `Child of ${INTERNAL_MARKER}`,
    groupId: secretGroup.id,
    createdAt: ago(120),
  });

  // An active public Sev 2 incident with a public and an internal update.
  const active = await createIncident(db, actor, {
    name: 'Elevated API error rates',
    status: 'investigating',
    severity: 2,
    body: 'We are investigating **elevated error rates** on the REST API.',
    components: { [rest.id]: 'partial_outage', [secretComponent.id]: 'major_outage' },
    startedAt: ago(0, 2),
  });
  await postUpdate(db, actor, active.incident.id, {
    status: 'identified',
    audience: 'internal',
    body: `Root cause: ${INTERNAL_MARKER} database failover`,
    at: ago(0, 1.5),
  });
  await postUpdate(db, actor, active.incident.id, {
    status: 'identified',
    body: 'The issue has been identified and a fix is being implemented.',
    components: { [webhooks.id]: 'degraded_performance' },
    at: ago(0, 1),
  });

  // A resolved public Sev 1 incident from last week.
  const resolved = await createIncident(db, actor, {
    name: 'Dashboard unavailable',
    status: 'investigating',
    severity: 1,
    body: 'The dashboard is not loading.',
    components: { [dashboard.id]: 'major_outage' },
    startedAt: ago(7, 3),
  });
  await postUpdate(db, actor, resolved.incident.id, {
    status: 'resolved',
    body: 'The dashboard is available again.',
    components: { [dashboard.id]: 'operational' },
    at: ago(7, 1),
  });

  // An internal-only incident.
  const internal = await createIncident(db, actor, {
    name: `Internal ${INTERNAL_MARKER} incident`,
    status: 'investigating',
    severity: 3,
    visibility: 'internal',
    body: `Only staff: ${INTERNAL_MARKER}`,
    components: { [cdn.id]: 'degraded_performance' },
    startedAt: ago(0, 3),
  });

  // An upcoming maintenance.
  const maintenance = await createIncident(db, actor, {
    kind: 'maintenance',
    name: 'Database upgrade',
    status: 'scheduled',
    body: 'We will upgrade the primary database.',
    componentIds: [rest.id, webhooks.id],
    startedAt: ago(1),
    scheduledFor: new Date(now.getTime() + 2 * DAY),
    scheduledUntil: new Date(now.getTime() + 2 * DAY + 2 * 3_600_000),
  });

  return {
    groups: { api, web, secretGroup },
    components: { rest, webhooks, dashboard, cdn, secretComponent, hiddenChild },
    incidents: {
      active: active.incident,
      resolved: resolved.incident,
      internal: internal.incident,
      maintenance: maintenance.incident,
    },
  };
}
