/**
 * Demo content: a realistic company status page, loaded by `npm run vigie -- demo:seed` and
 * by `npm start` on an empty embedded database. Everything goes through the real services,
 * in time order, so the status history (and so the uptime bars) is exactly what the
 * incidents did.
 */
import { count } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { components, incidents, settings } from '../../db/schema/index.ts';
import type { ComponentStatus } from '../../domain/enums.ts';
import type { Actor } from '../audit/service.ts';
import { createComponent, createGroup } from '../components/service.ts';
import { createIncident, postUpdate } from '../incidents/service.ts';
import { getSettings } from '../settings/queries.ts';

const actor: Actor = { type: 'system', name: 'Demo' };
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** True when the database holds no components and no incidents: safe to seed. */
export async function isEmpty(db: Db): Promise<boolean> {
  const [c] = await db.select({ n: count() }).from(components);
  const [i] = await db.select({ n: count() }).from(incidents);
  return Number(c.n) === 0 && Number(i.n) === 0;
}

type GroupSpec = {
  name: string;
  visibility?: 'internal';
  components: { key: string; name: string; description: string; visibility?: 'internal' }[];
};

const GROUPS: GroupSpec[] = [
  {
    name: 'Platform',
    components: [
      { key: 'api', name: 'REST API', description: 'api.acme.example, used by the apps and integrations' },
      { key: 'web', name: 'Web app', description: 'app.acme.example' },
      { key: 'webhooks', name: 'Webhooks', description: 'Outgoing event deliveries' },
      { key: 'auth', name: 'Sign-in and SSO', description: 'Password, SAML and OAuth sign-in' },
    ],
  },
  {
    name: 'Data',
    components: [
      { key: 'db', name: 'Database', description: 'Primary PostgreSQL clusters' },
      { key: 'storage', name: 'File storage', description: 'Uploads and exports' },
      { key: 'search', name: 'Search', description: 'Full-text search and indexing' },
    ],
  },
  {
    name: 'Payments',
    components: [
      { key: 'checkout', name: 'Checkout', description: 'Card and SEPA payments' },
      { key: 'billing', name: 'Billing', description: 'Invoices and subscriptions' },
    ],
  },
  {
    name: 'Internal tools',
    visibility: 'internal',
    components: [
      { key: 'ci', name: 'CI/CD pipelines', description: 'Build and deploy', visibility: 'internal' },
      { key: 'queue', name: 'Job queue', description: 'Background workers', visibility: 'internal' },
      { key: 'backoffice', name: 'Back office', description: 'Support and finance tools', visibility: 'internal' },
    ],
  },
];

/** Loads the demo page relative to `now`. Refuses a database that already has content. */
export async function seedDemo(db: Db, now = new Date()): Promise<{ components: number; incidents: number }> {
  if (!(await isEmpty(db)))
    throw new Error('The database already has components or incidents: demo:seed only fills an empty one.');
  const at = (daysAgo: number, hoursAgo = 0) => new Date(now.getTime() - daysAgo * DAY - hoursAgo * HOUR);

  await getSettings(db);
  await db
    .update(settings)
    .set({ pageName: 'Acme Cloud', homeUrl: 'https://acme.example', timeZone: 'Europe/Paris', updatedAt: now });

  const ids: Record<string, string> = {};
  let position = 0;
  for (const [g, spec] of GROUPS.entries()) {
    const group = await createGroup(db, actor, {
      name: spec.name,
      position: g + 1,
      visibility: spec.visibility ?? 'public',
    });
    for (const c of spec.components) {
      const row = await createComponent(db, actor, {
        name: c.name,
        description: c.description,
        groupId: group.id,
        position: ++position,
        visibility: c.visibility ?? 'public',
        // Search went live 40 days ago: its first 50 days show "no data".
        createdAt: c.key === 'search' ? at(40) : at(120),
      });
      ids[c.key] = row.id;
    }
  }

  let incidentCount = 0;
  // Past incidents, oldest first, so the component history stays in time order.
  const past: {
    days: number;
    hours: number;
    name: string;
    severity: 1 | 2 | 3;
    key: string;
    status: ComponentStatus;
    body: string;
    fix: string;
  }[] = [
    {
      days: 78,
      hours: 2,
      name: 'Delayed webhook deliveries',
      severity: 3,
      key: 'webhooks',
      status: 'degraded_performance',
      body: 'Webhook deliveries are delayed by up to 10 minutes.',
      fix: 'Deliveries have caught up. All delayed events were sent.',
    },
    {
      days: 61,
      hours: 1,
      name: 'Search results incomplete',
      severity: 3,
      key: 'search',
      status: 'partial_outage',
      body: 'Some recent documents are missing from search results.',
      fix: 'Re-indexing has finished; search results are complete again.',
    },
    {
      days: 33,
      hours: 4,
      name: 'Card payments failing for some customers',
      severity: 2,
      key: 'checkout',
      status: 'partial_outage',
      body: 'Some card payments are declined with a generic error. SEPA payments are not affected.',
      fix: 'Our payment provider fixed the issue. Payments have been succeeding for 30 minutes.',
    },
    {
      days: 19,
      hours: 1,
      name: 'Slow file uploads',
      severity: 3,
      key: 'storage',
      status: 'degraded_performance',
      body: 'Uploads larger than 100 MB are slower than usual.',
      fix: 'Upload speeds are back to normal.',
    },
  ];
  for (const p of past) {
    const { incident } = await createIncident(db, actor, {
      name: p.name,
      status: 'investigating',
      severity: p.severity,
      source: 'demo',
      body: p.body,
      components: { [ids[p.key]]: p.status },
      startedAt: at(p.days),
    });
    await postUpdate(db, actor, incident.id, {
      status: 'resolved',
      body: p.fix,
      components: { [ids[p.key]]: 'operational' },
      at: at(p.days, -p.hours),
    });
    incidentCount++;
  }

  // Last week's Sev 1: a full outage of the API and web app, with a post-mortem to come.
  const sev1 = await createIncident(db, actor, {
    name: 'API and web app unavailable',
    status: 'investigating',
    severity: 1,
    source: 'demo',
    body: 'The REST API and the web app return errors for all customers. We are investigating.',
    components: { [ids.api]: 'major_outage', [ids.web]: 'major_outage' },
    startedAt: at(6, 5),
  });
  await postUpdate(db, actor, sev1.incident.id, {
    status: 'identified',
    body: 'A configuration change to our load balancers caused the outage. We are rolling it back.',
    at: at(6, 4.6),
  });
  await postUpdate(db, actor, sev1.incident.id, {
    status: 'monitoring',
    body: 'The rollback is complete and error rates are back to normal. We are monitoring.',
    components: { [ids.api]: 'operational', [ids.web]: 'degraded_performance' },
    at: at(6, 4.1),
  });
  await postUpdate(db, actor, sev1.incident.id, {
    status: 'monitoring',
    audience: 'internal',
    body: 'Recap: 54 min of full outage, 38 support cases. Post-mortem owner: platform team. Do not share the LB vendor name externally.',
    at: at(6, 3.7),
  });
  await postUpdate(db, actor, sev1.incident.id, {
    status: 'resolved',
    body: 'This incident is resolved: the API and web app are fully available again. We will publish a post-mortem within five working days.',
    components: { [ids.web]: 'operational' },
    at: at(6, 3.5),
  });
  incidentCount++;

  // An internal-only incident on an internal component, already resolved.
  const internal = await createIncident(db, actor, {
    name: 'Deploy pipeline stuck',
    status: 'investigating',
    severity: 3,
    visibility: 'internal',
    source: 'demo',
    audience: 'internal',
    body: 'Deploys are queued behind a stuck runner. No customer impact.',
    components: { [ids.ci]: 'partial_outage' },
    startedAt: at(2, 6),
  });
  await postUpdate(db, actor, internal.incident.id, {
    status: 'resolved',
    audience: 'internal',
    body: 'Runner replaced; the queue drained.',
    components: { [ids.ci]: 'operational' },
    at: at(2, 5),
  });
  incidentCount++;

  // The active Sev 2: three updates, one of them internal.
  const active = await createIncident(db, actor, {
    name: 'Elevated error rates on the REST API',
    status: 'investigating',
    severity: 2,
    source: 'demo',
    body: 'Some API requests fail with **HTTP 503**. The web app is not affected. We are investigating.',
    components: { [ids.api]: 'partial_outage' },
    startedAt: at(0, 1.2),
  });
  await postUpdate(db, actor, active.incident.id, {
    status: 'identified',
    audience: 'internal',
    body: 'Cause: connection pool exhaustion on db-2 after the 11:00 deploy. Rolling back; #inc-api-errors has the details.',
    components: { [ids.queue]: 'degraded_performance' },
    at: at(0, 0.8),
  });
  await postUpdate(db, actor, active.incident.id, {
    status: 'identified',
    body: 'We have identified the cause and are rolling out a fix. Webhook deliveries may be delayed meanwhile.',
    components: { [ids.webhooks]: 'degraded_performance' },
    at: at(0, 0.5),
  });
  incidentCount++;

  // Upcoming maintenance in three days, 02:00-04:00 page time.
  const start = new Date(now.getTime() + 3 * DAY);
  start.setUTCHours(1, 0, 0, 0);
  await createIncident(db, actor, {
    kind: 'maintenance',
    name: 'Database upgrade to PostgreSQL 17',
    status: 'scheduled',
    source: 'demo',
    body: 'We will upgrade our primary database. The API and web app may be read-only for up to 5 minutes during the window.',
    componentIds: [ids.db, ids.api, ids.web],
    startedAt: at(1),
    scheduledFor: start,
    scheduledUntil: new Date(start.getTime() + 2 * HOUR),
    autoStart: true,
    autoComplete: true,
  });
  incidentCount++;

  // Templates: the defaults every install gets (drizzle/0003_default_templates.sql).

  return { components: Object.keys(ids).length, incidents: incidentCount };
}
