/**
 * The staff routes as the file system has them, for the suites that must reach every page
 * (admin-sections: roles; admin-languages: French), so a new page cannot escape them; and
 * one of each thing the admin lists, so each `[id]` page has a real id to open.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { templates } from '../../src/db/schema/index.ts';
import type { Db } from '../../src/db/client.ts';
import type { Actor } from '../../src/server/audit/service.ts';
import { createSubscriber } from '../../src/server/subscribers/service.ts';
import { issueApiToken } from '../../src/server/users/service.ts';
import { createWebhook } from '../../src/server/webhooks/service.ts';

const PAGES = path.resolve(import.meta.dirname, '../../src/pages');

/** Pages a `[id]` route also serves under a fixed name (the create forms). */
export const CREATE_FORM_ROUTES = ['/admin/components/new', '/admin/components/groups/new', '/admin/maintenance/new'];

/** Every route under src/pages/<section>, as a URL pattern: `/admin/components/[id]/delete`. */
export function routesUnder(section: 'admin' | 'internal'): string[] {
  const dir = path.join(PAGES, section);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = path.join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.(astro|ts|js)$/.test(name) && !name.startsWith('_')) {
        const rel = path.relative(dir, full).split(path.sep).join('/');
        out.push(`/${section}/${rel.replace(/\.(astro|ts|js)$/, '')}`.replace(/\/index$/, '').replace(/\/$/, ''));
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * A real URL for a route pattern: each `[id]` takes the id `ids` gives for what comes
 * before it. A pattern without one throws, naming it, so a new page is never skipped.
 */
export function resolveRoute(route: string, ids: Record<string, string | undefined>): string {
  let url = route;
  while (url.includes('[')) {
    url = url.replace(/^(.*?)\/\[([^\]]+)\]/, (_, before: string, param: string) => {
      const id = param === 'id' ? ids[before] : undefined;
      if (!id) throw new Error(`No value for [${param}] in ${route}: add one for ${before}`);
      return `${before}/${id}`;
    });
  }
  return url;
}

/** One subscriber, API token, webhook, and the first template: the ids of their admin pages. */
export async function seedAdminListings(db: Db, actor: Actor, label: string) {
  const subscriber = await createSubscriber(db, actor, { email: 'ann.lee@customer.example', confirmed: true });
  const { row: token } = await issueApiToken(db, actor, { name: `${label} token`, role: 'viewer' });
  const [template] = await db.select({ id: templates.id }).from(templates).limit(1);
  const webhook = await createWebhook(db, actor, {
    name: `${label} webhook`,
    url: `https://hooks.example.com/${label.toLowerCase()}`,
    format: 'signed',
    events: ['incident.created'],
  });
  return { subscriberId: subscriber.id, tokenId: token.id, templateId: template?.id, webhookId: webhook.id };
}
