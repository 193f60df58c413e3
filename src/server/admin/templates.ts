/**
 * The admin template pages: the list (everyone staff), and create, edit and delete (with a
 * confirmation step) for the roles with 'templates:manage'. Each page calls one function
 * here; every write goes through src/server/templates/service.ts, which checks the role.
 *
 * Routes: GET /admin/templates; GET, POST /admin/templates/new; GET, POST
 * /admin/templates/{id} (POST saves the edit); GET, POST /admin/templates/{id}/delete (GET
 * asks for confirmation, POST deletes).
 */
import type { Db } from '../../db/client.ts';
import {
  INCIDENT_KINDS,
  INCIDENT_STATUSES,
  MAINTENANCE_STATUSES,
  type AnyIncidentStatus,
  type IncidentKind,
  type TemplateAudience,
} from '../../domain/enums.ts';
import { anyIncidentStatusLabel } from '../../domain/status.ts';
import { listPlaceholders } from '../../domain/templates.ts';
import { renderMarkdown } from '../markdown.ts';
import { allowed, authorize, type Caller } from '../services.ts';
import { getSettings } from '../settings/queries.ts';
import { getTemplate, listTemplates } from '../templates/queries.ts';
import {
  createTemplate,
  deleteTemplate,
  updateTemplate,
  type CreateTemplateInput,
  type Template,
} from '../templates/service.ts';
import { fillTemplateText, TEMPLATE_PLACEHOLDERS, templateValues } from '../templates/values.ts';
import { attempt, type Errors, type Option, type PageResult, type Values } from './incidents.ts';

const FIELDS = ['name', 'audience', 'kind', 'title', 'status', 'body'] as const;

export type PlaceholderHelp = { name: string; fills: string };

/** Every placeholder Vigie fills, with what it becomes. */
export const PLACEHOLDER_HELP: readonly PlaceholderHelp[] = Object.entries(TEMPLATE_PLACEHOLDERS).map(
  ([name, fills]) => ({ name: `{{${name}}}`, fills }),
);

export type TemplateListItem = {
  id: string;
  name: string;
  href: string;
  kindLabel: string;
  audience: TemplateAudience;
  /** "For customers" or "Internal". */
  audienceLabel: string;
  statusLabel: string | null;
  title: string;
  body: string;
  /** `/admin/incidents/new?template=…` for an incident template, when the person may open incidents. */
  useHref: string | null;
};

export type TemplateListView = {
  canManage: boolean;
  templates: TemplateListItem[];
  placeholders: readonly PlaceholderHelp[];
  notice: string | null;
};

const NOTICES: Record<string, string> = {
  created: 'The template is created.',
  saved: 'The template is saved.',
  deleted: 'The template is deleted. Updates already written from it keep their text.',
};

/** `/admin/templates`: every template, by kind and audience; read-only for those who may not manage them. */
export async function templateListPage(db: Db, caller: Caller, url: URL): Promise<TemplateListView> {
  authorize(caller, 'internal:read');
  const canOpen = allowed(caller, 'incident:create');
  const rows = await listTemplates(db);
  return {
    canManage: allowed(caller, 'templates:manage'),
    templates: rows.map((t) => ({
      id: t.id,
      name: t.name,
      href: `/admin/templates/${t.id}`,
      kindLabel: t.kind === 'incident' ? 'Incident' : 'Maintenance',
      audience: t.audience,
      audienceLabel: audienceLabel(t.audience),
      statusLabel: t.status ? anyIncidentStatusLabel(t.status) : null,
      title: t.title,
      body: t.body,
      useHref: t.kind === 'incident' && canOpen ? `/admin/incidents/new?template=${t.id}` : null,
    })),
    placeholders: PLACEHOLDER_HELP,
    notice: NOTICES[url.searchParams.get('done') ?? ''] ?? null,
  };
}

export type TemplateFormView = {
  /** null on the "new" page. */
  id: string | null;
  canManage: boolean;
  values: Values;
  errors: Errors;
  otherErrors: string[];
  audiences: Option[];
  kinds: Option[];
  statuses: Option[];
  placeholders: readonly PlaceholderHelp[];
  /** `{{…}}` in the title or body that Vigie does not fill: the person will have to replace them. */
  unknownPlaceholders: string[];
  /** The template filled with example values: what a person will start from. */
  example: { title: string; html: string } | null;
  notice: string | null;
  /** A ForbiddenError's message: the page shows it instead of the form (403). */
  refused: string | null;
};

type Ctx = { request: Request; url: URL; now?: Date };

/** `/admin/templates/new`: the form, and creating on POST. */
export async function newTemplatePage(db: Db, caller: Caller, ctx: Ctx): Promise<PageResult<TemplateFormView>> {
  const blank: Values = { name: '', audience: 'external', kind: 'incident', title: '', status: '', body: '' };
  if (ctx.request.method !== 'POST') {
    const view = await formView(db, caller, null, blank, {}, ctx);
    if (!view.canManage) return refuse(view, caller);
    return { status: 200, view };
  }
  const values = await readValues(ctx.request);
  const outcome = await attempt(() => createTemplate(db, caller, toInput(values)));
  if (outcome.ok) return { redirect: '/admin/templates?done=created' };
  const view = await formView(db, caller, null, values, outcome.errors, ctx);
  if (outcome.refused) return { status: 403, view: { ...view, refused: outcome.refused } };
  return { status: outcome.status, view };
}

/** `/admin/templates/{id}`: the template (read-only without 'templates:manage'), and saving on POST. */
export async function templatePage(
  db: Db,
  caller: Caller,
  id: string,
  ctx: Ctx,
): Promise<PageResult<TemplateFormView>> {
  authorize(caller, 'internal:read');
  const template = await getTemplate(db, id);
  if (!template) return { notFound: true };
  if (ctx.request.method !== 'POST') {
    const view = await formView(db, caller, id, valuesOf(template), {}, ctx);
    view.notice = ctx.url.searchParams.get('done') === 'saved' ? NOTICES.saved : null;
    return { status: 200, view };
  }
  const values = await readValues(ctx.request);
  const outcome = await attempt(() => updateTemplate(db, caller, id, toInput(values)));
  if (outcome.ok) return { redirect: `/admin/templates/${id}?done=saved` };
  if (outcome.notFound) return { notFound: true };
  const view = await formView(db, caller, id, values, outcome.errors, ctx);
  if (outcome.refused) return { status: 403, view: { ...view, refused: outcome.refused } };
  return { status: outcome.status, view };
}

export type DeleteTemplateView = {
  id: string;
  name: string;
  audienceLabel: string;
  error: string | null;
  refused: string | null;
};

/** `/admin/templates/{id}/delete`: GET asks for confirmation, POST deletes. */
export async function deleteTemplatePage(
  db: Db,
  caller: Caller,
  id: string,
  ctx: Pick<Ctx, 'request'>,
): Promise<PageResult<DeleteTemplateView>> {
  authorize(caller, 'internal:read');
  const template = await getTemplate(db, id);
  if (!template) return { notFound: true };
  const view: DeleteTemplateView = {
    id,
    name: template.name,
    audienceLabel: audienceLabel(template.audience),
    error: null,
    refused: null,
  };
  if (ctx.request.method !== 'POST') {
    if (!allowed(caller, 'templates:manage')) return refuse(view, caller);
    return { status: 200, view };
  }
  const outcome = await attempt(() => deleteTemplate(db, caller, id));
  if (outcome.ok) return { redirect: '/admin/templates?done=deleted' };
  if (outcome.notFound) return { notFound: true };
  if (outcome.refused) return { status: 403, view: { ...view, refused: outcome.refused } };
  return { status: outcome.status, view: { ...view, error: outcome.errors._ ?? 'The template could not be deleted.' } };
}

async function formView(
  db: Db,
  caller: Caller,
  id: string | null,
  values: Values,
  errors: Errors,
  ctx: Ctx,
): Promise<TemplateFormView> {
  const now = ctx.now ?? new Date();
  const known = new Set(Object.keys(TEMPLATE_PLACEHOLDERS));
  const used = listPlaceholders(`${values.title}\n${values.body}`);
  const settings = await getSettings(db);
  const kind: IncidentKind = values.kind === 'maintenance' ? 'maintenance' : 'incident';
  const status = ([...INCIDENT_STATUSES, ...MAINTENANCE_STATUSES] as string[]).includes(values.status)
    ? (values.status as AnyIncidentStatus)
    : null;
  const sample = templateValues(
    {
      name: 'Elevated error rates',
      kind,
      status,
      severity: kind === 'incident' ? 2 : null,
      startedAt: new Date(now.getTime() - 45 * 60_000),
      scheduledFor: kind === 'maintenance' ? new Date(now.getTime() + 86_400_000) : null,
      scheduledUntil: kind === 'maintenance' ? new Date(now.getTime() + 86_400_000 + 7_200_000) : null,
      components: [{ name: 'REST API' }, { name: 'Webhooks' }],
    },
    settings,
    now,
  );
  const filled = fillTemplateText({ title: values.title, body: values.body }, sample);
  return {
    id,
    canManage: allowed(caller, 'templates:manage'),
    values,
    errors,
    otherErrors: Object.entries(errors)
      .filter(([field]) => !(FIELDS as readonly string[]).includes(field))
      .map(([, message]) => message),
    audiences: [
      { value: 'external', label: 'For customers: public updates and emails' },
      { value: 'internal', label: 'Internal: staff only' },
    ],
    kinds: INCIDENT_KINDS.map((k) => ({ value: k, label: k === 'incident' ? 'Incident' : 'Maintenance' })),
    statuses: [
      { value: '', label: 'None: the person chooses' },
      ...INCIDENT_STATUSES.map((s) => ({ value: s, label: `Incident: ${anyIncidentStatusLabel(s)}` })),
      ...MAINTENANCE_STATUSES.map((s) => ({ value: s, label: `Maintenance: ${anyIncidentStatusLabel(s)}` })),
    ],
    placeholders: PLACEHOLDER_HELP,
    unknownPlaceholders: used.filter((p) => !known.has(p)).map((p) => `{{${p}}}`),
    example: values.body.trim() ? { title: filled.title.text, html: renderMarkdown(filled.body.text) } : null,
    notice: null,
    refused: null,
  };
}

function valuesOf(t: Template): Values {
  return { name: t.name, audience: t.audience, kind: t.kind, title: t.title, status: t.status ?? '', body: t.body };
}

/** The form as service input: '' status means "none"; the rest goes as typed, for the service to judge. */
function toInput(values: Values): CreateTemplateInput {
  return {
    name: values.name,
    audience: (values.audience || undefined) as TemplateAudience,
    kind: (values.kind || undefined) as IncidentKind | undefined,
    title: values.title,
    status: (values.status || null) as AnyIncidentStatus | null,
    body: values.body,
  };
}

async function readValues(request: Request): Promise<Values> {
  let data: FormData;
  try {
    data = await request.formData();
  } catch {
    data = new FormData();
  }
  return Object.fromEntries(
    FIELDS.map((n) => {
      const v = data.get(n);
      return [n, typeof v === 'string' ? v : ''];
    }),
  );
}

function audienceLabel(audience: TemplateAudience): string {
  return audience === 'external' ? 'For customers' : 'Internal';
}

function refuse<V extends { refused: string | null }>(view: V, caller: Caller): PageResult<V> {
  return {
    status: 403,
    view: {
      ...view,
      refused: `Your role (${caller.role}) can read templates but not change them: that takes comms or admin.`,
    },
  };
}
