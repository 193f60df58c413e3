/**
 * The admin pages of outgoing webhooks (/admin/webhooks…, admin only): the list and the
 * form that adds one; one webhook with its secret, its edit form, its actions (enable or
 * disable, rotate the secret, send a test) and its latest deliveries; deleting one after a
 * confirmation.
 */
import type { Db } from '../../db/client.ts';
import { WEBHOOK_EVENTS, type WebhookDeliveryStatus } from '../../db/schema/index.ts';
import type { IncidentEvent } from '../outbox/service.ts';
import { runForm, type FormState } from '../forms.ts';
import type { Caller } from '../services.ts';
import { getWebhook, listWebhooks, recentDeliveries } from '../webhooks/queries.ts';
import {
  createWebhook,
  deleteWebhook,
  rotateWebhookSecret,
  sendTestWebhook,
  updateWebhook,
  type Webhook,
} from '../webhooks/service.ts';
import {
  adminChrome,
  adminPage,
  blankForm,
  checked,
  placeErrors,
  submitted,
  text,
  texts,
  when,
  type PageOutcome,
} from './page.ts';

export const WEBHOOKS_PATH = '/admin/webhooks';

export const FORMAT_OPTIONS = [
  { value: 'slack', label: 'Slack-compatible ({"text", "blocks"})' },
  { value: 'signed', label: 'Signed JSON (HMAC-SHA256 in X-Vigie-Signature)' },
] as const;

export const EVENT_OPTIONS: readonly { value: IncidentEvent; label: string }[] = [
  { value: 'incident.created', label: 'Incident created' },
  { value: 'incident.severity_changed', label: 'Severity changed' },
  { value: 'incident.update_posted', label: 'Update posted' },
  { value: 'incident.resolved', label: 'Resolved' },
];

const FIELDS = ['name', 'url', 'format', 'events', 'internal', 'enabled'] as const;

type Values = { name: string; url: string; format: string; internal: string; enabled: string };

export type WebhookForm = FormState<Values> & { events: string[] };

export type WebhookRow = {
  id: string;
  name: string;
  url: string;
  format: string;
  events: string;
  audience: string;
  enabled: boolean;
  pending: number;
  failed: number;
  lastSent: string;
};

export type WebhooksView = { rows: WebhookRow[]; form: WebhookForm; notice?: string };

const LIST_NOTICES: Record<string, string> = { deleted: 'The webhook is deleted.' };

const blank = (): WebhookForm => ({
  ...blankForm({ name: '', url: '', format: 'slack', internal: 'false', enabled: 'true' }),
  events: [...WEBHOOK_EVENTS],
});

/** The form's fields, as the service takes them. */
function readWebhookForm(form: FormData): { values: Values; events: string[]; input: Record<string, unknown> } {
  const values = {
    name: text(form, 'name'),
    url: text(form, 'url'),
    format: text(form, 'format'),
    internal: String(checked(form, 'internal')),
    enabled: String(checked(form, 'enabled')),
  };
  const events = texts(form, 'events');
  return {
    values,
    events,
    input: { ...values, events, internal: values.internal === 'true', enabled: values.enabled === 'true' },
  };
}

const eventLabel = (e: string) => EVENT_OPTIONS.find((o) => o.value === e)?.label ?? e;

/** /admin/webhooks: GET lists; POST adds a webhook and goes to its page, where its secret is. */
export function loadWebhooksPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<WebhooksView>> {
  return adminPage<WebhooksView>(async () => {
    // Listing first checks the permission: a refused POST changes nothing and shows the 403 page.
    await listWebhooks(db, caller);
    const form = await submitted(request);
    let state = blank();
    if (form) {
      const { values, events, input } = readWebhookForm(form);
      let created: Webhook | null = null;
      state = {
        ...(await runForm(values, async () => {
          created = await createWebhook(db, caller, input as Parameters<typeof createWebhook>[2]);
        })),
        events,
      };
      if (created) return { redirect: `${WEBHOOKS_PATH}/${(created as Webhook).id}?done=created` };
      state.errors = placeErrors(state.errors, FIELDS);
    }
    const chrome = await adminChrome(db, request);
    const rows = (await listWebhooks(db, caller)).map((w) => ({
      id: w.id,
      name: w.name,
      url: w.url,
      format: w.format === 'slack' ? 'Slack' : 'Signed JSON',
      events: w.events.map(eventLabel).join(', '),
      audience: w.internal ? 'Internal' : 'Public',
      enabled: w.enabled,
      pending: w.pending,
      failed: w.failed,
      lastSent: when(w.lastSentAt, chrome),
    }));
    return {
      status: state.status,
      view: {
        rows,
        form: state,
        notice: form ? undefined : LIST_NOTICES[new URL(request.url).searchParams.get('done') ?? ''],
      },
    };
  });
}

export type DeliveryRow = {
  id: number;
  event: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  created: string;
  sent: string;
  next: string | null;
};

export type WebhookView = {
  webhook: Pick<Webhook, 'id' | 'name' | 'url' | 'format' | 'internal' | 'enabled' | 'secret'>;
  form: WebhookForm;
  deliveries: DeliveryRow[];
  notice?: string;
};

const NOTICES: Record<string, string> = {
  created: 'The webhook is added. Deliveries start with the next incident event.',
  saved: 'The changes are saved.',
  rotated: 'The secret is replaced: the old one no longer verifies. Give the receiver the new one.',
  test: 'A test delivery is queued; it shows below in a few seconds.',
  enabled: 'The webhook is on.',
  disabled: 'The webhook is off: deliveries not yet sent will fail as “disabled”.',
};

/**
 * /admin/webhooks/{id}: GET shows it; POST with `action` = save (the form), enable,
 * disable, rotate (the secret) or test (queues a test delivery), then back here.
 */
export function loadWebhookPage(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
  options: { siteUrl: string },
): Promise<PageOutcome<WebhookView>> {
  return adminPage<WebhookView>(
    async () => {
      let hook = await getWebhook(db, caller, id);
      const form = await submitted(request);
      let state: WebhookForm = {
        ...blankForm({
          name: hook.name,
          url: hook.url,
          format: hook.format,
          internal: String(hook.internal),
          enabled: String(hook.enabled),
        }),
        events: [...hook.events],
      };
      if (form) {
        const action = text(form, 'action') || 'save';
        let done = '';
        if (action === 'save') {
          const { values, events, input } = readWebhookForm(form);
          state = {
            ...(await runForm(values, async () => {
              await updateWebhook(db, caller, hook.id, input);
              done = 'saved';
            })),
            events,
          };
          state.errors = placeErrors(state.errors, FIELDS);
        } else if (!['enable', 'disable', 'rotate', 'test'].includes(action)) {
          state = { ...state, errors: { _: 'Unknown action: reload the page and try again.' }, status: 400 };
        } else {
          const result = await runForm(state.values, async () => {
            if (action === 'rotate') await rotateWebhookSecret(db, caller, hook.id);
            else if (action === 'test') await sendTestWebhook(db, caller, hook.id, { siteUrl: options.siteUrl });
            else await updateWebhook(db, caller, hook.id, { enabled: action === 'enable' });
            done = action === 'rotate' ? 'rotated' : action === 'test' ? 'test' : `${action}d`;
          });
          state = { ...result, events: state.events };
        }
        if (done) return { redirect: `${WEBHOOKS_PATH}/${hook.id}?done=${done}` };
        hook = await getWebhook(db, caller, id);
      }
      const chrome = await adminChrome(db, request);
      const deliveries = (await recentDeliveries(db, caller, hook.id)).map((d) => ({
        id: d.id,
        event: d.event === 'webhook.test' ? 'Test' : eventLabel(d.event),
        status: d.status,
        attempts: d.attempts,
        responseStatus: d.responseStatus,
        lastError: d.lastError,
        created: when(d.createdAt, chrome),
        sent: when(d.sentAt, chrome),
        next: d.status === 'pending' && d.attempts > 0 ? when(d.availableAt, chrome) : null,
      }));
      return {
        status: state.status,
        view: {
          webhook: {
            id: hook.id,
            name: hook.name,
            url: hook.url,
            format: hook.format,
            internal: hook.internal,
            enabled: hook.enabled,
            secret: hook.secret,
          },
          form: state,
          deliveries,
          notice: form ? undefined : NOTICES[new URL(request.url).searchParams.get('done') ?? ''],
        },
      };
    },
    { href: WEBHOOKS_PATH, label: 'Back to the webhooks' },
  );
}

export type DeleteView = { name: string; url: string; form: FormState };

/** /admin/webhooks/{id}/delete: GET asks; POST deletes it and its deliveries, then back to the list. */
export function loadWebhookDelete(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
): Promise<PageOutcome<DeleteView>> {
  return adminPage<DeleteView>(
    async () => {
      const hook = await getWebhook(db, caller, id);
      const form = await submitted(request);
      const state = form ? await runForm({}, () => deleteWebhook(db, caller, hook.id)) : blankForm({});
      if (form && state.status === 200) return { redirect: `${WEBHOOKS_PATH}?done=deleted` };
      return { status: state.status, view: { name: hook.name, url: hook.url, form: state } };
    },
    { href: WEBHOOKS_PATH, label: 'Back to the webhooks' },
  );
}
