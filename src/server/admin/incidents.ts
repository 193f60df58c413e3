/**
 * The admin incident pages: their view models and their forms. Each page calls one function
 * here (`incidentListPage`, `newIncidentPage`, `incidentPage`) and renders what comes back.
 * The services stay the judges of who may do what and of what is valid; this module turns a
 * form into service input, checks a draft before it is previewed (with the services' own
 * schemas and permission table), and turns errors back into messages next to the fields.
 *
 * Field names are the management API's (`severity`, `components.<id>`, `idempotency_key`…),
 * so a service's ValidationError lands next to its field.
 *
 * The POST actions:
 * - `POST /admin/incidents/new`, by the `step` button:
 *   - `template`: fill name, status and body from `template_id` with the chosen components;
 *   - `review`: a public incident goes to the preview, an internal one is opened at once;
 *   - `edit`: back from the preview to the form, values kept;
 *   - `publish`: open it (the form's idempotency key makes a double submit harmless).
 * - `POST /admin/incidents/{id}`, by the hidden `action` field:
 *   - `update` (with `step` as above): post an update; public ones go through the preview;
 *   - `resolve` (with `step` review / edit / publish): resolve it, public ones previewed;
 *   - `edit`: change the name, severity or visibility;
 *   - `process` (with `step` suggest / save): the links (chat, video, ticket) and the impact
 *     assessment; `suggest` re-renders the form with the severity the answers point to;
 *   - `roles`: the incident manager, tech lead and communications lead;
 *   - `postmortem` (with `step` save / review / edit / publish): save the draft (internal), or
 *     publish it (public incidents, previewed first) as a `postmortem` update.
 * `POST /admin/incidents/new` also takes `step=suggest` (the assessment's suggestion).
 */
import { and, asc, desc, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { incidentComponents, incidents, users } from '../../db/schema/index.ts';
import {
  COMPONENT_STATUSES,
  IMPACT_SCOPES,
  INCIDENT_STATUSES,
  type AnyIncidentStatus,
  type Audience,
  type ComponentStatus,
  type Severity,
} from '../../domain/enums.ts';
import {
  channelTopic,
  INCIDENT_ROLE_DEFINITIONS,
  suggestSeverity,
  type SeveritySuggestion,
} from '../../domain/process.ts';
import { DEFAULT_SEVERITY_DEFINITIONS, severityLabel } from '../../domain/severity.ts';
import { anyIncidentStatusLabel, componentStatusLabel } from '../../domain/status.ts';
import { fillTemplate, listPlaceholders } from '../../domain/templates.ts';
import { formatDateTime, formatDuration } from '../../domain/time.ts';
import { ForbiddenError } from '../auth/permissions.ts';
import { listComponents, listGroups } from '../components/queries.ts';
import { ConflictError, NotFoundError, ServiceError, ValidationError } from '../errors.ts';
import { newSecret } from '../ids.ts';
import { messages, type Lang } from '../../i18n/index.ts';
import { getIncident } from '../incidents/queries.ts';
import {
  CreateIncidentSchema,
  PostUpdateSchema,
  PublishPostmortemSchema,
  ResolveIncidentSchema,
  UpdateIncidentSchema,
} from '../incidents/schemas.ts';
import {
  CLOSED_STATUSES,
  createIncident,
  postUpdate,
  publishPostmortem,
  resolveIncident,
  savePostmortem,
  updateIncident,
  type CreateIncidentInput,
  type Incident,
  type PostUpdateInput,
  type ResolveIncidentInput,
  type UpdateIncidentInput,
} from '../incidents/service.ts';
import { allowed, authorize, parseInput, Problems, type Caller } from '../services.ts';
import { getSettings, type Settings } from '../settings/queries.ts';
import { severityDefinitionsOf } from '../settings/service.ts';
import { incidentItem, INTERNAL_VIEW, pageChrome, type IncidentItem } from '../status-page/view.ts';
import { DEFAULT_TEMPLATE_IDS } from '../templates/defaults.ts';
import { getTemplate, listTemplates } from '../templates/queries.ts';
import type { Template } from '../templates/service.ts';
import { templateValues, type TemplateIncident } from '../templates/values.ts';
import { deliveriesSummary, type DeliveriesSummaryItem } from './deliveries.ts';
import { instantToZonedLocal, zonedLocalToInstant } from './maintenance.ts';
import { integer } from './page.ts';
import { previewPublication, type PublicationDraft, type PublicationPreview } from './preview.ts';

/** A form's submitted (or default) values, flat: `components.<id>` keys hold the component choices. */
export type Values = Record<string, string>;
export type Errors = Record<string, string>;

/** What a page function answers: where to go after a POST, "no such incident", or a view to render. */
export type PageResult<V> = { redirect: string } | { notFound: true } | { status: number; view: V };

export type Option = { value: string; label: string };

export type SeverityChoice = {
  value: string;
  label: string;
  impact: string;
  summary: string;
  examples: readonly string[];
  /** The response expected at this level (page now, business hours…). */
  response: string;
};

export type TemplateChoice = {
  id: string;
  name: string;
  audience: 'external' | 'internal';
  /** "For customers" or "Internal". */
  audienceLabel: string;
  statusLabel: string | null;
};

export type ComponentChoice = {
  id: string;
  name: string;
  /** Never shown to customers: internal itself, or in an internal group. */
  internal: boolean;
  status: ComponentStatus;
  statusLabel: string;
  /** Linked to the incident already. */
  linked: boolean;
};

/** The component picker, grouped as on the status page. */
export type PickerItem =
  | { type: 'group'; id: string; name: string; internal: boolean; components: ComponentChoice[] }
  | { type: 'component'; component: ComponentChoice };

/** The hidden fields a preview carries back, and what it shows. */
export type PreviewView = PublicationPreview & {
  hidden: { name: string; value: string }[];
  notify: boolean;
  /** "Open the incident", "Publish the update"… */
  publishLabel: string;
  /** Where the preview's form posts. */
  action: string;
  title: string;
  /** A line under the title, e.g. that the recap stays internal. */
  note?: string | null;
};

export const COMPONENT_STATUS_OPTIONS: readonly Option[] = COMPONENT_STATUSES.map((s) => ({
  value: s,
  label: componentStatusLabel(s),
}));

const INCIDENT_STATUS_OPTIONS: readonly Option[] = INCIDENT_STATUSES.map((s) => ({
  value: s,
  label: anyIncidentStatusLabel(s),
}));

const MAX_COMPONENT_FIELDS = 500;

// ---------------------------------------------------------------------------------------
// The list

export type IncidentRow = {
  id: string;
  href: string;
  name: string;
  severityLabel: string;
  /** The severity's written definition, null without one. */
  severity: SeverityChoice | null;
  statusLabel: string;
  internal: boolean;
  started: { iso: string; text: string };
  /** Open: time so far; closed: how long it lasted. */
  age: string;
  resolved: { iso: string; text: string } | null;
};

export type IncidentListView = { open: IncidentRow[]; closed: IncidentRow[]; canCreate: boolean };

/** How many closed incidents the list shows under the open ones. */
export const RECENT_CLOSED = 25;

/** `/admin/incidents`: every open incident (most severe, then newest, first), then the latest closed ones. */
export async function incidentListPage(
  db: Db,
  caller: Caller,
  now: Date,
  lang: Lang = 'en',
): Promise<IncidentListView> {
  authorize(caller, 'internal:read');
  const t = messages(lang);
  const settings = await getSettings(db);
  const open = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.kind, 'incident'), notInArray(incidents.status, [...CLOSED_STATUSES])))
    .orderBy(asc(sql`coalesce(${incidents.severity}, 9)`), desc(incidents.startedAt));
  const closed = await db
    .select()
    .from(incidents)
    .where(and(eq(incidents.kind, 'incident'), inArray(incidents.status, [...CLOSED_STATUSES])))
    .orderBy(desc(sql`coalesce(${incidents.resolvedAt}, ${incidents.updatedAt})`))
    .limit(RECENT_CLOSED);
  const severities = severityChoices(settings, lang);
  const row = (i: Incident): IncidentRow => {
    const end = i.resolvedAt ?? (CLOSED_STATUSES.includes(i.status) ? i.updatedAt : now);
    return {
      id: i.id,
      href: `/admin/incidents/${i.id}`,
      name: i.name,
      severityLabel: i.severity ? t('severity.label', { severity: i.severity }) : t('severity.none'),
      severity: severities.find((c) => c.value === String(i.severity)) ?? null,
      statusLabel: t(`status.${i.status}`),
      internal: i.visibility === 'internal',
      started: when(i.startedAt, settings, lang),
      age: formatDuration(end.getTime() - i.startedAt.getTime(), lang),
      resolved: CLOSED_STATUSES.includes(i.status) ? when(end, settings, lang) : null,
    };
  };
  return { open: open.map(row), closed: closed.map(row), canCreate: allowed(caller, 'incident:create') };
}

// ---------------------------------------------------------------------------------------
// Opening an incident

const CREATE_FIELDS = [
  'template_id',
  'name',
  'severity',
  'visibility',
  'status',
  'body',
  'notify',
  'idempotency_key',
] as const;

/** The six questions of the impact assessment (phase 3), with the two that bear on the severity. */
const ASSESSMENT_FIELDS = [
  'impact_customer',
  'impact_visible',
  'impact_scope',
  'impact_started_at',
  'support_cases',
  'social_media',
  'security',
  'data_loss',
  'core_feature',
  'workaround',
] as const;

/** The checkboxes of the assessment: the form's name, the stored factor and its label. */
export const ASSESSMENT_FACTORS = [
  { name: 'social_media', key: 'socialMedia', label: 'Social media attention' },
  { name: 'security', key: 'security', label: 'A security breach' },
  { name: 'data_loss', key: 'dataLoss', label: 'Data loss' },
] as const;
export const SEVERITY_FACTORS = [
  { name: 'core_feature', key: 'coreFeature', label: 'A core feature is unavailable or degraded' },
  { name: 'workaround', key: 'workaround', label: 'Customers have a workaround' },
] as const;

export const IMPACT_SCOPE_OPTIONS: readonly Option[] = [
  { value: '', label: 'Not known yet' },
  ...IMPACT_SCOPES.map((s) => ({ value: s, label: s === 'all' ? 'All customers' : 'Some customers' })),
];

/** The assessment's suggestion, as the forms show it. */
export type SuggestionView = { severity: string; label: string; reason: string } | null;

export type IncidentFormView = {
  values: Values;
  errors: Errors;
  /** Messages for fields the form does not show (and `_`), for the box at the top. */
  otherErrors: string[];
  severities: SeverityChoice[];
  statuses: readonly Option[];
  visibilities: { value: 'public' | 'internal'; label: string; hint: string }[];
  picker: PickerItem[];
  templates: { external: TemplateChoice[]; internal: TemplateChoice[] };
  canNotify: boolean;
  canSetComponents: boolean;
  /** The severity the assessment's answers point to. */
  suggestion: SuggestionView;
};

export type NewIncidentView = {
  form: IncidentFormView;
  /** The template the form was filled from (`?template=`). */
  chosen: TemplateChoice | null;
  preview: PreviewView | null;
  /** A ForbiddenError's message: the page shows it instead of the form (403). */
  refused: string | null;
  canPublish: boolean;
};

/** `lang`: the reader's language (the admin's middleware negotiates it), for the labels Vigie writes. */
type PageContext = { request: Request; url: URL; siteUrl: string; now?: Date; lang?: Lang };

/** `/admin/incidents/new`, GET and POST (see the module comment for the steps). */
export async function newIncidentPage(db: Db, caller: Caller, ctx: PageContext): Promise<PageResult<NewIncidentView>> {
  const now = ctx.now ?? new Date();
  const catalog = await loadCatalog(db);
  const settings = catalog.settings;
  const canPublish = allowed(caller, 'incident:publish');
  const view = (values: Values, errors: Errors = {}): NewIncidentView => ({
    form: createFormView(caller, values, errors, catalog, ctx.lang),
    chosen: catalog.templates.find((t) => t.id === values.template_id) ?? null,
    preview: null,
    refused: null,
    canPublish,
  });

  if (ctx.request.method !== 'POST') {
    if (!allowed(caller, 'incident:create')) {
      const refused = `Your role (${caller.role}) can read incidents but not open them: that takes responder or above.`;
      return { status: 403, view: { ...view(blankCreate(caller)), refused } };
    }
    const values = blankCreate(caller);
    const templateId = ctx.url.searchParams.get('template');
    if (templateId) {
      const template = await getTemplate(db, templateId);
      if (!template || template.kind !== 'incident') {
        return {
          status: 200,
          view: view(values, { template_id: 'This template does not exist any more: choose another.' }),
        };
      }
      values.visibility = template.audience === 'external' && canPublish ? 'public' : 'internal';
      values.notify = values.visibility === 'public' && allowed(caller, 'subscribers:notify') ? 'true' : '';
      applyTemplate(values, template, { settings, catalog, now, incident: null });
    }
    return { status: 200, view: view(values) };
  }

  const values = await readValues(ctx.request, [...CREATE_FIELDS, ...ASSESSMENT_FIELDS]);
  const step = values.step;
  const outcome = await attempt(async (): Promise<PageResult<NewIncidentView>> => {
    authorize(caller, 'incident:create');
    if (step === 'suggest') {
      applySuggestion(values);
      return { status: 200, view: view(values) };
    }
    if (step === 'template') {
      const template = values.template_id ? await getTemplate(db, values.template_id) : null;
      if (!template || template.kind !== 'incident') {
        return { status: 422, view: view(values, { template_id: 'Choose a template first.' }) };
      }
      applyTemplate(values, template, { settings, catalog, now, incident: null });
      return { status: 200, view: view(values) };
    }
    if (step === 'edit') return { status: 200, view: view(values) };
    const draft = checkCreate(caller, values, { settings, catalog, now });
    if (step === 'publish' || draft.input.visibility === 'internal') {
      const { incident } = await createIncident(db, caller, draft.input);
      const done = draft.input.visibility === 'public' ? 'published' : 'opened';
      return { redirect: `/admin/incidents/${incident.id}?done=${done}` };
    }
    const preview = await previewPublication(db, draft.publication!, { siteUrl: ctx.siteUrl, now });
    return {
      status: 200,
      view: {
        ...view(values),
        preview: {
          ...preview,
          hidden: hiddenFields(values),
          notify: draft.input.notify === true,
          publishLabel: 'Publish the incident',
          action: '/admin/incidents/new',
          title: `Check before publishing: ${values.name}`,
        },
      },
    };
  });
  if (outcome.ok) return outcome.value;
  if (outcome.refused) return { status: 403, view: { ...view(values), refused: outcome.refused } };
  return { status: outcome.status, view: view(values, outcome.errors) };
}

function blankCreate(caller: Caller): Values {
  const canPublish = allowed(caller, 'incident:publish');
  return {
    template_id: '',
    name: '',
    severity: '',
    visibility: canPublish ? 'public' : 'internal',
    status: 'investigating',
    body: '',
    notify: canPublish && allowed(caller, 'subscribers:notify') ? 'true' : '',
    idempotency_key: newKey(),
    ...Object.fromEntries(ASSESSMENT_FIELDS.map((f) => [f, ''])),
  };
}

function createFormView(
  caller: Caller,
  values: Values,
  errors: Errors,
  catalog: Catalog,
  lang: Lang = 'en',
): IncidentFormView {
  const canPublish = allowed(caller, 'incident:publish');
  const shown = [
    'template_id',
    'name',
    'severity',
    'visibility',
    'status',
    'body',
    'notify',
    'components',
    ...ASSESSMENT_FIELDS,
    'impact_factors',
  ];
  return {
    values,
    errors,
    otherErrors: otherErrors(errors, shown),
    severities: severityChoices(catalog.settings, lang),
    statuses: INCIDENT_STATUS_OPTIONS,
    visibilities: [
      ...(canPublish
        ? [
            {
              value: 'public' as const,
              label: 'Public',
              hint: 'On the status page, in the feeds and, if you choose, emailed to subscribers. You will see a preview first.',
            },
          ]
        : []),
      {
        value: 'internal' as const,
        label: 'Internal',
        hint: canPublish
          ? 'Staff only, on the internal page. You can make it public later.'
          : 'Staff only. Someone in comms can make it public later.',
      },
    ],
    picker: picker(catalog, new Set()),
    templates: templateGroups(catalog.templates),
    canNotify: allowed(caller, 'subscribers:notify'),
    canSetComponents: allowed(caller, 'component:status'),
    suggestion: suggestionView(values, catalog.settings, lang),
  };
}

type CheckContext = { settings: Settings; catalog: Catalog; now: Date };

/**
 * Checks a new incident the way the service will, before the preview: the caller's
 * permissions first (a clear 403), then the fields. Fills the placeholders still in the name
 * and body, so the preview shows, and the publish sends, the final text.
 */
function checkCreate(caller: Caller, values: Values, ctx: CheckContext) {
  const visibility = values.visibility;
  const components = componentFields(values);
  const notify = visibility === 'public' ? values.notify === 'true' : undefined;
  if (visibility === 'public' && !allowed(caller, 'incident:publish')) {
    throw new ForbiddenError(
      `Your role (${caller.role}) cannot publish: only comms and admins open public incidents. Open it as internal; someone in comms can make it public.`,
    );
  }
  if (notify) authorize(caller, 'subscribers:notify');
  if (Object.keys(components).length) authorize(caller, 'component:status');

  const problems = new Problems();
  const chosen = chosenComponents(ctx.catalog, Object.keys(components), visibility === 'public');
  for (const field of ['name', 'body'] as const) {
    values[field] = fillLeftovers(
      problems,
      field,
      values[field],
      {
        name: values.name,
        kind: 'incident',
        status: isIncidentStatus(values.status) ? values.status : null,
        severity: asSeverity(values.severity),
        startedAt: ctx.now,
        components: chosen,
      },
      ctx,
    );
  }
  const input = {
    name: values.name || undefined,
    severity: severityInput(values.severity),
    visibility: visibility || undefined,
    status: values.status || undefined,
    body: values.body || undefined,
    notify,
    components,
    templateId: values.template_id || undefined,
    idempotencyKey: values.idempotency_key || undefined,
    ...(answered(values) ? assessmentInput(values, null, ctx.settings.timeZone, problems) : {}),
  } as CreateIncidentInput;
  collect(problems, () => parseInput(CreateIncidentSchema, input));
  if (!values.name.trim()) problems.add('name', 'Give the incident a name');
  if (!values.severity) problems.add('severity', 'Choose a severity: 1 (critical), 2 (major) or 3 (minor)');
  if (!visibility) problems.add('visibility', 'Choose who sees it: public or internal');
  requireStatus(problems, values.status);
  if (!values.body.trim()) problems.add('body', 'Write the first update');
  reportUnknownComponents(problems, ctx.catalog, Object.keys(components));
  problems.throwIfAny();

  const publication: PublicationDraft | null =
    visibility === 'public'
      ? {
          incident: { id: null, name: values.name.trim(), severity: asSeverity(values.severity), startedAt: ctx.now },
          update: {
            status: values.status as AnyIncidentStatus,
            body: values.body.trim(),
            notify: notify ?? false,
            components: components as Record<string, ComponentStatus>,
          },
        }
      : null;
  return { input, publication };
}

// ---------------------------------------------------------------------------------------
// One incident

const UPDATE_FIELDS = ['status', 'body', 'audience', 'notify', 'template_id', 'idempotency_key'] as const;
const RESOLVE_FIELDS = ['body', 'recap', 'notify', 'template_id', 'idempotency_key'] as const;
const EDIT_FIELDS = ['name', 'severity', 'visibility'] as const;
const PROCESS_FIELDS = ['chat_url', 'video_url', 'ticket_url', 'severity', ...ASSESSMENT_FIELDS] as const;
const ROLE_FIELDS = ['incident_manager_id', 'tech_lead_id', 'comms_lead_id'] as const;
const POSTMORTEM_FIELDS = ['body', 'notify'] as const;

type FormName = 'update' | 'resolve' | 'edit' | 'process' | 'roles' | 'postmortem';
const FORMS: Record<string, { form: FormName; fields: readonly string[] }> = {
  update: { form: 'update', fields: UPDATE_FIELDS },
  resolve: { form: 'resolve', fields: RESOLVE_FIELDS },
  edit: { form: 'edit', fields: EDIT_FIELDS },
  process: { form: 'process', fields: PROCESS_FIELDS },
  roles: { form: 'roles', fields: ROLE_FIELDS },
  postmortem: { form: 'postmortem', fields: POSTMORTEM_FIELDS },
};

export type FormBlock = { values: Values; errors: Errors; otherErrors: string[] };

export type ResolveComponent = ComponentChoice & {
  /** What happens without a choice: "Back to Operational", or why it stays. */
  defaultLabel: string;
};

export type IncidentPageView = {
  incident: IncidentItem;
  row: {
    id: string;
    name: string;
    severityLabel: string;
    statusLabel: string;
    internal: boolean;
    closed: boolean;
    started: { iso: string; text: string };
    age: string;
    /** The severity's written definition (description, examples, expected response). */
    severity: SeverityChoice | null;
    /** The public page, when customers can see it. */
    publicHref: string | null;
    internalHref: string;
  };
  notice: string | null;
  /** A ForbiddenError's message: the page shows it instead of the forms (403). */
  refused: string | null;
  preview: PreviewView | null;
  /** Which form the values and errors belong to, to open it and focus it. */
  active: FormName | null;
  can: {
    update: boolean;
    publish: boolean;
    notify: boolean;
    components: boolean;
    /** Resolve: allowed and still open. */
    resolve: boolean;
    edit: boolean;
    /** Change the severity (customers see a public incident's). */
    severity: boolean;
    /** Publish the post-mortem: a public incident, over, and 'incident:publish'. */
    publishPostmortem: boolean;
  };
  /** Why a form is missing or limited, for the person who cannot use it. */
  limits: { update: string | null; resolve: string | null; edit: string | null; postmortem: string | null };
  /** How each public update's emails went, newest first (see admin/deliveries.ts). */
  deliveries: DeliveriesSummaryItem[];
  update: FormBlock & {
    statuses: readonly Option[];
    audiences: { value: Audience; label: string; hint: string }[];
    picker: PickerItem[];
    templates: { external: TemplateChoice[]; internal: TemplateChoice[] };
  };
  resolve: FormBlock & { components: ResolveComponent[] };
  edit: FormBlock & {
    severities: SeverityChoice[];
    visibilities: Option[];
  };
  /** Phases 2 and 3: the links, the ready-to-copy channel topic and the impact assessment. */
  process: FormBlock & {
    topic: string;
    links: { label: string; href: string }[];
    severities: SeverityChoice[];
    suggestion: SuggestionView;
  };
  /** Phase 6: who holds each role, and the users to choose from. */
  roles: FormBlock & {
    roles: { field: string; label: string; responsibilities: string; holder: string }[];
    users: Option[];
  };
  /** Phase 7: the post-mortem, once the incident is over. */
  postmortem: FormBlock & { published: { iso: string; text: string } | null };
};

const NOTICES: Record<string, string> = {
  opened: 'The incident is open. It is internal: only staff see it.',
  published: 'The incident is published on the status page.',
  posted: 'The internal update is posted.',
  'update-published': 'The update is published on the status page.',
  resolved: 'The incident is resolved.',
  edited: 'The changes are saved.',
  process: 'The links and the assessment are saved.',
  roles: 'The roles are saved; the change is in the timeline.',
  'postmortem-saved': 'The post-mortem draft is saved. It is internal until you publish it.',
  'postmortem-published': 'The post-mortem is published on the status page.',
};

/** `/admin/incidents/{id}`, GET and POST (see the module comment for the actions). */
export async function incidentPage(
  db: Db,
  caller: Caller,
  id: string,
  ctx: PageContext,
): Promise<PageResult<IncidentPageView>> {
  authorize(caller, 'internal:read');
  const now = ctx.now ?? new Date();
  const detail = await getIncident(db, id, 'incident');
  if (!detail) return { notFound: true };
  const catalog = await loadCatalog(db);
  const settings = catalog.settings;
  const row = detail.row;
  const linked = new Set(detail.view.components.map((c) => c.id));
  const others = await componentsInOtherOpenIncidents(db, row.id, [...linked]);
  const deliveries = await deliveriesSummary(
    db,
    caller,
    detail.view,
    pageChrome(settings, ctx.lang ? { lang: ctx.lang } : undefined),
  );
  const staff = await staffUsers(db, row);
  const resolveDefaults = CLOSED_STATUSES.includes(row.status)
    ? defaultResolve(caller, row)
    : await prefilledResolve(db, caller, row, catalog, linked, now, ctx.lang ?? 'en');
  const extra = { staff, resolveDefaults, lang: ctx.lang ?? 'en' };

  const build = (state: FormState) =>
    incidentView(caller, detail, catalog, linked, others, state, now, settings, deliveries, extra);

  if (ctx.request.method !== 'POST') {
    const update = defaultUpdate(caller, row);
    const templateId = ctx.url.searchParams.get('template');
    const state: FormState = { update: { values: update } };
    if (templateId) {
      const template = await getTemplate(db, templateId);
      if (!template || template.kind !== 'incident') {
        state.update!.errors = { template_id: 'This template does not exist any more: choose another.' };
      } else {
        if (template.audience === 'internal') update.audience = 'internal';
        applyTemplate(update, template, { settings, catalog, now, incident: row, linked });
      }
    }
    const view = build(state);
    view.notice = NOTICES[ctx.url.searchParams.get('done') ?? ''] ?? null;
    if (templateId) view.active = 'update';
    return { status: 200, view };
  }

  const action = (await peekAction(ctx.request)) ?? '';
  const known = FORMS[action] ?? FORMS.update;
  const values = await readValues(ctx.request, known.fields);
  const form = known.form;
  const checkCtx = { settings, catalog, now };
  const back = `/admin/incidents/${row.id}`;

  const outcome = await attempt(async (): Promise<PageResult<IncidentPageView>> => {
    authorize(caller, 'incident:update');
    if (action === 'process') {
      if (values.step === 'suggest') {
        applySuggestion(values);
        return { status: 200, view: withActive(build({ process: { values } }), 'process') };
      }
      const problems = new Problems();
      const input: UpdateIncidentInput = {
        chatUrl: values.chat_url,
        videoUrl: values.video_url,
        ticketUrl: values.ticket_url,
        ...assessmentInput(values, row, settings.timeZone, problems),
      };
      // The severity is sent only when it changes: customers see a public incident's.
      if (values.severity && values.severity !== String(row.severity ?? '')) {
        input.severity = severityInput(values.severity) as Severity;
      }
      collect(problems, () => parseInput(UpdateIncidentSchema, input));
      problems.throwIfAny();
      await updateIncident(db, caller, row.id, input);
      return { redirect: `${back}?done=process` };
    }
    if (action === 'roles') {
      await updateIncident(db, caller, row.id, {
        incidentManagerId: values.incident_manager_id,
        techLeadId: values.tech_lead_id,
        commsLeadId: values.comms_lead_id,
      });
      return { redirect: `${back}?done=roles` };
    }
    if (action === 'postmortem') {
      if (values.step === 'edit') return { status: 200, view: withActive(build({ postmortem: { values } }), form) };
      if (values.step === 'save') {
        await savePostmortem(db, caller, row.id, { body: values.body });
        return { redirect: `${back}?done=postmortem-saved` };
      }
      const notify = values.notify === 'true';
      authorize(caller, 'incident:publish');
      if (notify) authorize(caller, 'subscribers:notify');
      if (values.step === 'publish') {
        await publishPostmortem(db, caller, row.id, { body: values.body, notify });
        return { redirect: `${back}?done=postmortem-published` };
      }
      if (!CLOSED_STATUSES.includes(row.status)) {
        throw new ConflictError('Resolve the incident first: a post-mortem comes after the incident is over.');
      }
      if (row.visibility !== 'public') {
        throw new ConflictError('This incident is internal: its post-mortem stays internal.');
      }
      const problems = new Problems();
      if (!values.body.trim()) problems.add('body', 'Write the post-mortem');
      collect(problems, () => parseInput(PublishPostmortemSchema, { body: values.body, notify }));
      problems.throwIfAny();
      const draft = draftFor(row, linked, 'postmortem', values.body, notify, {}, {});
      const preview = await previewPublication(db, draft, { siteUrl: ctx.siteUrl, now });
      const view = build({ postmortem: { values } });
      view.preview = {
        ...preview,
        hidden: [{ name: 'action', value: action }, ...hiddenFields(values)],
        notify,
        publishLabel: 'Publish the post-mortem',
        action: back,
        title: `Check before publishing the post-mortem: ${row.name}`,
      };
      return { status: 200, view };
    }
    if (action === 'edit') {
      await updateIncident(db, caller, row.id, {
        name: values.name,
        severity: severityInput(values.severity) as Severity,
        visibility: (values.visibility || undefined) as 'public' | 'internal' | undefined,
      });
      return { redirect: `${back}?done=edited` };
    }
    if (action !== 'update' && action !== 'resolve') {
      return { status: 422, view: withActive(build({}), null, 'This form is not one Vigie knows. Reload the page.') };
    }
    if (values.step === 'edit') return { status: 200, view: withActive(build({ [form]: { values } }), form) };
    if (action === 'update' && values.step === 'template') {
      const template = values.template_id ? await getTemplate(db, values.template_id) : null;
      if (!template || template.kind !== 'incident') {
        return {
          status: 422,
          view: withActive(
            build({ update: { values, errors: { template_id: 'Choose a template first.' } } }),
            'update',
          ),
        };
      }
      applyTemplate(values, template, { settings, catalog, now, incident: row, linked });
      return { status: 200, view: withActive(build({ update: { values } }), 'update') };
    }

    const draft =
      action === 'resolve'
        ? await checkResolve(db, caller, row, values, linked, others, checkCtx)
        : checkUpdate(caller, row, values, linked, others, checkCtx);
    if (values.step === 'publish' || !draft.publication) {
      if (action === 'resolve') await resolveIncident(db, caller, row.id, draft.input);
      else await postUpdate(db, caller, row.id, draft.input);
      const done = action === 'resolve' ? 'resolved' : draft.publication ? 'update-published' : 'posted';
      return { redirect: `${back}?done=${done}` };
    }
    const preview = await previewPublication(db, draft.publication, { siteUrl: ctx.siteUrl, now });
    const view = build({ [form]: { values } });
    view.preview = {
      ...preview,
      hidden: [{ name: 'action', value: action }, ...hiddenFields(values)],
      notify: draft.input.notify === true,
      publishLabel: action === 'resolve' ? 'Publish and resolve' : 'Publish the update',
      action: back,
      title: action === 'resolve' ? `Check before resolving: ${row.name}` : `Check before publishing: ${row.name}`,
      note:
        action === 'resolve' && values.recap?.trim()
          ? 'The recap stays internal: it is saved on the incident and posted to the staff timeline, and is in nothing shown here.'
          : null,
    };
    return { status: 200, view };
  });
  if (outcome.ok) return outcome.value;
  if (outcome.notFound) return { notFound: true };
  const view = withActive(build({ [form]: { values, errors: outcome.errors } }), form);
  view.refused = outcome.refused ?? null;
  return { status: outcome.status, view };
}

type FormState = Partial<Record<FormName, { values: Values; errors?: Errors }>>;

function withActive(view: IncidentPageView, active: IncidentPageView['active'], message?: string): IncidentPageView {
  view.active = active;
  if (message) view.update.otherErrors = [message];
  return view;
}

function defaultUpdate(caller: Caller, row: Incident): Values {
  const publicOk = row.visibility === 'public' && allowed(caller, 'incident:publish');
  return {
    status: row.status,
    body: '',
    audience: publicOk ? 'public' : 'internal',
    notify: publicOk && allowed(caller, 'subscribers:notify') ? 'true' : '',
    template_id: '',
    idempotency_key: newKey(),
  };
}

function defaultResolve(caller: Caller, row: Incident): Values {
  return {
    body: '',
    recap: '',
    notify: row.visibility === 'public' && allowed(caller, 'subscribers:notify') ? 'true' : '',
    template_id: '',
    idempotency_key: newKey(),
  };
}

/**
 * The resolve form, pre-filled (phase 7): the internal recap (impact, duration, support
 * cases, components) and, for a public incident, the all-clear from the default "resolved"
 * template for customers, filled as it would be now.
 */
async function prefilledResolve(
  db: Db,
  caller: Caller,
  row: Incident,
  catalog: Catalog,
  linked: Set<string>,
  now: Date,
  lang: Lang,
): Promise<Values> {
  const values = defaultResolve(caller, row);
  // In the language of whoever resolves: the recap is theirs to edit and post.
  const t = messages(lang);
  const chrome = pageChrome(catalog.settings, { lang });
  const at = (d: Date) => formatDateTime(d, chrome.timeZone, chrome.locale);
  const affected = chosenComponents(catalog, [...linked], false).map((c) => c.name);
  values.recap = [
    t('admin.recap.impact', { value: row.impactCustomer?.trim() || t('admin.recap.notAssessed') }),
    t('admin.recap.duration', {
      duration: formatDuration(now.getTime() - row.startedAt.getTime(), lang),
      from: at(row.startedAt),
      to: at(now),
      zone: chrome.timeZone,
    }),
    t('admin.recap.supportCases', { value: String(row.supportCases ?? t('admin.recap.notCounted')) }),
    t('admin.recap.components', { value: affected.length ? affected.join(', ') : t('admin.recap.none') }),
  ].join('\n');
  if (row.visibility === 'public') {
    const template = await getTemplate(db, DEFAULT_TEMPLATE_IDS.resolved.external);
    if (template) {
      const about = {
        ...templateIncident(row, chosenComponents(catalog, [...linked], true)),
        status: 'resolved' as const,
        resolvedAt: now,
      };
      values.body = fillTemplate(template.body, templateValues(about, catalog.settings, now)).text;
      values.template_id = template.id;
    }
  }
  return values;
}

type StaffUser = { id: string; name: string; disabled: boolean };

/** The users a role can go to: every active account, and whoever holds a role now. */
async function staffUsers(db: Db, row: Incident): Promise<StaffUser[]> {
  const rows = await db
    .select({ id: users.id, name: users.name, email: users.email, disabledAt: users.disabledAt })
    .from(users)
    .orderBy(asc(users.name), asc(users.email));
  const holders = new Set(INCIDENT_ROLE_DEFINITIONS.map((r) => row[r.key]).filter(Boolean));
  return rows
    .filter((u) => !u.disabledAt || holders.has(u.id))
    .map((u) => ({ id: u.id, name: u.name.trim() || u.email, disabled: !!u.disabledAt }));
}

function incidentView(
  caller: Caller,
  detail: NonNullable<Awaited<ReturnType<typeof getIncident>>>,
  catalog: Catalog,
  linked: Set<string>,
  others: Set<string>,
  state: FormState,
  now: Date,
  settings: Settings,
  deliveries: DeliveriesSummaryItem[],
  extra: { staff: StaffUser[]; resolveDefaults: Values; lang: Lang },
): IncidentPageView {
  const { row, view } = detail;
  const lang = extra.lang;
  const t = messages(lang);
  const chrome = pageChrome(settings, { lang });
  const item = incidentItem(view, chrome, now, INTERNAL_VIEW);
  const closed = CLOSED_STATUSES.includes(row.status);
  const isPublic = row.visibility === 'public';
  const can = {
    update: allowed(caller, 'incident:update'),
    publish: allowed(caller, 'incident:publish'),
    notify: allowed(caller, 'subscribers:notify'),
    components: allowed(caller, 'component:status'),
    resolve: false,
    edit: false,
    severity: false,
    publishPostmortem: false,
  };
  // Customers see a public incident's status and name: changing them needs 'incident:publish'.
  can.resolve = can.update && !closed && (!isPublic || can.publish);
  can.edit = can.update && (!isPublic || can.publish);
  can.severity = can.edit;
  can.publishPostmortem = closed && isPublic && can.publish;
  const readOnly = `Your role (${caller.role}) can read incidents but not change them.`;
  const limits = {
    update: !can.update
      ? readOnly
      : isPublic && !can.publish
        ? 'Customers see this incident: you can post internal updates, but its status and public updates are for comms or admins.'
        : null,
    resolve: !can.update
      ? readOnly
      : closed
        ? null
        : isPublic && !can.publish
          ? 'Only comms or admins resolve a public incident: customers see it.'
          : null,
    edit: !can.update
      ? readOnly
      : isPublic && !can.publish
        ? 'Only comms or admins change a public incident’s name, severity or visibility.'
        : null,
    postmortem: !can.update
      ? readOnly
      : !isPublic
        ? 'This incident is internal: its post-mortem stays internal.'
        : !can.publish
          ? 'You can save the draft; comms or admins publish it.'
          : null,
  };

  const updateValues = state.update?.values ?? defaultUpdate(caller, row);
  const updateErrors = state.update?.errors ?? {};
  const resolveValues = state.resolve?.values ?? extra.resolveDefaults;
  const resolveErrors = state.resolve?.errors ?? {};
  const editValues = state.edit?.values ?? {
    name: row.name,
    severity: row.severity ? String(row.severity) : '',
    visibility: row.visibility,
  };
  const editErrors = state.edit?.errors ?? {};
  const statusOk = !isPublic || can.publish;
  const active: FormName | null = state.edit
    ? 'edit'
    : state.resolve
      ? 'resolve'
      : state.process
        ? 'process'
        : state.roles
          ? 'roles'
          : state.postmortem
            ? 'postmortem'
            : state.update?.errors
              ? 'update'
              : null;
  const severities = severityChoices(settings, lang);
  const processValues = state.process?.values ?? {
    chat_url: row.chatUrl ?? '',
    video_url: row.videoUrl ?? '',
    ticket_url: row.ticketUrl ?? '',
    severity: row.severity ? String(row.severity) : '',
    ...assessmentValues(row, settings.timeZone),
  };
  const processErrors = state.process?.errors ?? {};
  const rolesValues = state.roles?.values ?? {
    incident_manager_id: row.incidentManagerId ?? '',
    tech_lead_id: row.techLeadId ?? '',
    comms_lead_id: row.commsLeadId ?? '',
  };
  const rolesErrors = state.roles?.errors ?? {};
  const postmortemValues = state.postmortem?.values ?? { body: row.postmortem ?? '', notify: '' };
  const postmortemErrors = state.postmortem?.errors ?? {};
  const nameOf = (id: string | null) => (id ? (extra.staff.find((u) => u.id === id)?.name ?? 'a removed user') : null);

  return {
    incident: item,
    row: {
      id: row.id,
      name: row.name,
      severityLabel: row.severity ? t('severity.label', { severity: row.severity }) : t('severity.none'),
      statusLabel: t(`status.${row.status}`),
      internal: !isPublic,
      closed,
      started: when(row.startedAt, settings, lang),
      age: formatDuration((row.resolvedAt ?? (closed ? row.updatedAt : now)).getTime() - row.startedAt.getTime(), lang),
      severity: severities.find((c) => c.value === String(row.severity)) ?? null,
      publicHref: isPublic ? `/incidents/${row.id}` : null,
      internalHref: `/internal/incidents/${row.id}`,
    },
    notice: null,
    refused: null,
    preview: null,
    active,
    can,
    limits,
    deliveries,
    update: {
      values: updateValues,
      errors: updateErrors,
      otherErrors: otherErrors(updateErrors, ['status', 'body', 'audience', 'notify', 'template_id', 'components']),
      statuses: statusOk ? INCIDENT_STATUS_OPTIONS : INCIDENT_STATUS_OPTIONS.filter((o) => o.value === row.status),
      audiences: [
        ...(isPublic && can.publish
          ? [{ value: 'public' as const, label: 'Public', hint: 'Customers see it; you will check a preview first.' }]
          : []),
        {
          value: 'internal' as const,
          label: 'Internal',
          hint: isPublic ? 'Staff only, on the internal page.' : 'Staff only. The incident is internal.',
        },
      ],
      picker: picker(catalog, linked),
      templates: templateGroups(catalog.templates),
    },
    resolve: {
      values: resolveValues,
      errors: resolveErrors,
      otherErrors: otherErrors(resolveErrors, ['body', 'notify', 'components']),
      components: catalog.components
        .filter((c) => linked.has(c.id))
        .map((c) => ({
          ...choice(c, catalog, linked),
          defaultLabel: others.has(c.id)
            ? `Stays ${componentStatusLabel(c.status)}: another open incident affects it`
            : 'Back to Operational',
        })),
    },
    edit: {
      values: editValues,
      errors: editErrors,
      otherErrors: otherErrors(editErrors, ['name', 'severity', 'visibility']),
      severities,
      visibilities: [
        ...(can.publish || isPublic ? [{ value: 'public', label: 'Public: customers see it' }] : []),
        { value: 'internal', label: 'Internal: staff only' },
      ],
    },
    process: {
      values: processValues,
      errors: processErrors,
      otherErrors: otherErrors(processErrors, [...PROCESS_FIELDS, 'impact_factors']),
      topic: channelTopic({
        number: row.number,
        name: row.name,
        severity: row.severity,
        statusLabel: anyIncidentStatusLabel(row.status),
        managerName: nameOf(row.incidentManagerId),
        chatUrl: row.chatUrl,
        videoUrl: row.videoUrl,
        ticketUrl: row.ticketUrl,
      }),
      links: [
        { label: 'Chat channel', href: row.chatUrl },
        { label: 'Video bridge', href: row.videoUrl },
        { label: 'Ticket', href: row.ticketUrl },
      ].filter((l): l is { label: string; href: string } => !!l.href),
      severities,
      suggestion: suggestionView(processValues, settings, lang),
    },
    roles: {
      values: rolesValues,
      errors: rolesErrors,
      otherErrors: otherErrors(rolesErrors, [...ROLE_FIELDS]),
      roles: INCIDENT_ROLE_DEFINITIONS.map((r) => ({
        field: r.field,
        label: r.label,
        responsibilities: r.responsibilities,
        holder: nameOf(row[r.key]) ?? 'Unassigned',
      })),
      users: [
        { value: '', label: 'Unassigned' },
        ...extra.staff.map((u) => ({ value: u.id, label: u.disabled ? `${u.name} (disabled)` : u.name })),
      ],
    },
    postmortem: {
      values: postmortemValues,
      errors: postmortemErrors,
      otherErrors: otherErrors(postmortemErrors, ['body', 'notify']),
      published: row.postmortemPublishedAt ? when(row.postmortemPublishedAt, settings) : null,
    },
  };
}

function checkUpdate(
  caller: Caller,
  row: Incident,
  values: Values,
  linked: Set<string>,
  others: Set<string>,
  ctx: CheckContext,
) {
  const audience = values.audience;
  const components = componentFields(values);
  const notify = audience === 'public' ? values.notify === 'true' : undefined;
  if (audience === 'public' && !allowed(caller, 'incident:publish')) {
    throw new ForbiddenError(
      `Your role (${caller.role}) cannot publish: only comms and admins post updates customers see. Post it as internal instead.`,
    );
  }
  if (
    row.visibility === 'public' &&
    values.status &&
    values.status !== row.status &&
    !allowed(caller, 'incident:publish')
  ) {
    throw new ForbiddenError(
      `Your role (${caller.role}) cannot change the status of a public incident: customers see it. Keep the status, or ask someone in comms.`,
    );
  }
  if (notify) authorize(caller, 'subscribers:notify');
  if (Object.keys(components).length) authorize(caller, 'component:status');

  const problems = new Problems();
  const allIds = [...new Set([...linked, ...Object.keys(components)])];
  const chosen = chosenComponents(ctx.catalog, allIds, audience === 'public');
  values.body = fillLeftovers(
    problems,
    'body',
    values.body,
    {
      ...templateIncident(row, chosen),
      status: isIncidentStatus(values.status) ? values.status : row.status,
    },
    ctx,
  );
  const input = {
    status: values.status || undefined,
    body: values.body || undefined,
    audience: audience || undefined,
    notify,
    components,
    templateId: values.template_id || undefined,
    idempotencyKey: values.idempotency_key || undefined,
  } as PostUpdateInput;
  collect(problems, () => parseInput(PostUpdateSchema, input));
  if (!audience) problems.add('audience', 'Choose who sees this update: public or internal');
  if (audience === 'public' && row.visibility === 'internal') {
    problems.add('audience', 'This incident is internal, so it takes internal updates only. Make it public first.');
  }
  requireStatus(problems, values.status);
  if (!values.body.trim()) problems.add('body', 'Write the update');
  reportUnknownComponents(problems, ctx.catalog, Object.keys(components));
  problems.throwIfAny();

  const status = values.status as AnyIncidentStatus;
  const closing = CLOSED_STATUSES.includes(status) && !CLOSED_STATUSES.includes(row.status);
  return {
    input,
    publication:
      audience === 'public'
        ? draftFor(
            row,
            linked,
            status,
            values.body,
            notify ?? false,
            components,
            closing ? restoresOf(linked, others, components) : {},
          )
        : null,
  };
}

async function checkResolve(
  db: Db,
  caller: Caller,
  row: Incident,
  values: Values,
  linked: Set<string>,
  others: Set<string>,
  ctx: CheckContext,
) {
  if (CLOSED_STATUSES.includes(row.status)) {
    throw new ConflictError(`This incident is already ${anyIncidentStatusLabel(row.status).toLowerCase()}.`);
  }
  const audience: Audience = row.visibility;
  const components = componentFields(values);
  const notify = audience === 'public' ? values.notify === 'true' : undefined;
  if (audience === 'public' && !allowed(caller, 'incident:publish')) {
    throw new ForbiddenError(
      `Your role (${caller.role}) cannot resolve a public incident: customers see it. Ask someone in comms, or post an internal update.`,
    );
  }
  if (notify) authorize(caller, 'subscribers:notify');
  if (Object.keys(components).length) authorize(caller, 'component:status');

  const problems = new Problems();
  const allIds = [...new Set([...linked, ...Object.keys(components)])];
  const chosen = chosenComponents(ctx.catalog, allIds, audience === 'public');
  const about = { ...templateIncident(row, chosen), status: 'resolved' as const, resolvedAt: ctx.now };
  // An internal incident closes with its recap when there is one (see resolveIncident).
  const recapCloses = audience === 'internal' && !!values.recap?.trim();
  if (!values.body.trim() && !recapCloses) {
    // The default "resolved" template writes it; filled here so the preview shows the words.
    const id = DEFAULT_TEMPLATE_IDS.resolved[audience === 'public' ? 'external' : 'internal'];
    const template = await getTemplate(db, id);
    if (template) {
      values.body = fillTemplate(template.body, templateValues(about, ctx.settings, ctx.now)).text;
      values.template_id = template.id;
    } else {
      problems.add('body', 'Write the closing update: the default “resolved” template was deleted.');
    }
  }
  values.body = fillLeftovers(problems, 'body', values.body, about, ctx);
  const input = {
    body: values.body || undefined,
    recap: values.recap ?? '',
    audience,
    notify,
    components,
    templateId: values.template_id || undefined,
    idempotencyKey: values.idempotency_key || undefined,
  } as ResolveIncidentInput;
  collect(problems, () => parseInput(ResolveIncidentSchema, input));
  reportUnknownComponents(problems, ctx.catalog, Object.keys(components));
  problems.throwIfAny();
  return {
    input,
    publication:
      audience === 'public'
        ? draftFor(
            row,
            linked,
            'resolved',
            values.body,
            notify ?? false,
            components,
            restoresOf(linked, others, components),
          )
        : null,
  };
}

function draftFor(
  row: Incident,
  linked: Set<string>,
  status: AnyIncidentStatus,
  body: string,
  notify: boolean,
  components: Record<string, string>,
  restores: Record<string, ComponentStatus>,
): PublicationDraft {
  return {
    incident: {
      id: row.id,
      name: row.name,
      severity: row.severity,
      startedAt: row.startedAt,
      linkedComponentIds: [...linked],
    },
    update: { status, body: body.trim(), notify, components: components as Record<string, ComponentStatus>, restores },
  };
}

/** The linked components a closing update sets back to operational: not named, not held by another open incident. */
function restoresOf(
  linked: Set<string>,
  others: Set<string>,
  named: Record<string, string>,
): Record<string, ComponentStatus> {
  const out: Record<string, ComponentStatus> = {};
  for (const id of linked) if (!(id in named) && !others.has(id)) out[id] = 'operational';
  return out;
}

/** Of the given components, those another open incident or running maintenance also affects. */
async function componentsInOtherOpenIncidents(db: Db, incidentId: string, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const rows = await db
    .select({ id: incidentComponents.componentId })
    .from(incidentComponents)
    .innerJoin(incidents, eq(incidents.id, incidentComponents.incidentId))
    .where(
      and(
        inArray(incidentComponents.componentId, ids),
        ne(incidents.id, incidentId),
        inArray(incidents.status, ['investigating', 'identified', 'monitoring', 'in_progress', 'verifying']),
      ),
    );
  return new Set(rows.map((r) => r.id));
}

// ---------------------------------------------------------------------------------------
// Shared pieces

type Catalog = {
  settings: Settings;
  components: Awaited<ReturnType<typeof listComponents>>;
  groups: Awaited<ReturnType<typeof listGroups>>;
  templates: TemplateChoice[];
};

async function loadCatalog(db: Db): Promise<Catalog> {
  const settings = await getSettings(db);
  const groups = await listGroups(db);
  const components = await listComponents(db);
  const templates = await listTemplates(db, { kind: 'incident' });
  // Page order: groups and loose components by position, a group's components inside it.
  const rank = (c: (typeof components)[number]) => {
    const group = c.groupId ? groups.find((g) => g.id === c.groupId) : undefined;
    return group ? [group.position, groups.indexOf(group), c.position] : [c.position, -1, 0];
  };
  const ordered = components
    .map((c, i) => ({ c, key: [...rank(c), i] }))
    .sort((a, b) => a.key.reduce((d, v, k) => d || v - b.key[k], 0))
    .map(({ c }) => c);
  return { settings, components: ordered, groups, templates: templates.map(templateChoice) };
}

/** A template as the pickers list it. */
export function templateChoice(t: Template): TemplateChoice {
  return {
    id: t.id,
    name: t.name,
    audience: t.audience,
    audienceLabel: t.audience === 'external' ? 'For customers' : 'Internal',
    statusLabel: t.status ? anyIncidentStatusLabel(t.status) : null,
  };
}

function templateGroups(list: TemplateChoice[]) {
  return {
    external: list.filter((t) => t.audience === 'external'),
    internal: list.filter((t) => t.audience === 'internal'),
  };
}

/** The severity scale with its written definitions: the page settings' words, or the defaults. */
export function severityChoices(settings: Pick<Settings, 'severityDefinitions'>, lang: Lang = 'en'): SeverityChoice[] {
  const definitions = severityDefinitionsOf(settings, lang);
  return DEFAULT_SEVERITY_DEFINITIONS.map((d) => {
    const own = definitions[String(d.severity) as '1' | '2' | '3'];
    return {
      value: String(d.severity),
      label: own.label,
      impact: d.impact,
      summary: own.description,
      examples: own.examples,
      response: own.response,
    };
  });
}

/** Whether any assessment question is answered (a new incident stores nothing otherwise). */
function answered(values: Values): boolean {
  return ASSESSMENT_FIELDS.some((f) => (values[f] ?? '').trim() !== '');
}

/** The assessment's form values as service input; a bad date is a problem on its field. */
function assessmentInput(
  values: Values,
  row: Incident | null,
  timeZone: string,
  problems: Problems,
): Partial<UpdateIncidentInput> {
  let impactStartedAt: Date | null = null;
  const started = (values.impact_started_at ?? '').trim();
  if (started) {
    impactStartedAt = zonedLocalToInstant(started, timeZone);
    if (!impactStartedAt) problems.add('impact_started_at', 'Enter the date and time the impact started');
  }
  const notes = row?.impactFactors?.notes;
  return {
    impactCustomer: values.impact_customer ?? '',
    impactVisible: values.impact_visible ?? '',
    impactScope: (values.impact_scope || null) as UpdateIncidentInput['impactScope'],
    impactStartedAt,
    supportCases: (integer(values.support_cases ?? '') ?? null) as number | null,
    impactFactors: {
      ...Object.fromEntries(
        [...ASSESSMENT_FACTORS, ...SEVERITY_FACTORS].map((f) => [f.key, values[f.name] === 'true']),
      ),
      ...(notes ? { notes } : {}),
    },
  };
}

/** The severity the answers in a form point to (see suggestSeverity in src/domain/process.ts). */
function suggestionOf(values: Values): SeveritySuggestion | null {
  const scope = values.impact_scope;
  return suggestSeverity({
    impactScope: scope === 'some' || scope === 'all' ? scope : null,
    impactFactors: Object.fromEntries(
      [...ASSESSMENT_FACTORS, ...SEVERITY_FACTORS].map((f) => [f.key, values[f.name] === 'true']),
    ),
  });
}

function suggestionView(values: Values, settings: Pick<Settings, 'severityDefinitions'>, lang: Lang): SuggestionView {
  const suggestion = suggestionOf(values);
  if (!suggestion) return null;
  const value = String(suggestion.severity);
  const label =
    severityChoices(settings, lang).find((c) => c.value === value)?.label ?? severityLabel(suggestion.severity);
  return { severity: value, label, reason: suggestion.reason };
}

/** `step=suggest`: pre-selects the suggested severity; the person still confirms or changes it. */
function applySuggestion(values: Values): void {
  const suggestion = suggestionOf(values);
  if (suggestion) values.severity = String(suggestion.severity);
}

/** An incident's assessment as form values. */
function assessmentValues(row: Incident, timeZone: string): Values {
  const f = row.impactFactors ?? {};
  const flag = (v: boolean | undefined) => (v ? 'true' : '');
  return {
    impact_customer: row.impactCustomer ?? '',
    impact_visible: row.impactVisible ?? '',
    impact_scope: row.impactScope ?? '',
    impact_started_at: row.impactStartedAt ? instantToZonedLocal(row.impactStartedAt, timeZone) : '',
    support_cases: row.supportCases == null ? '' : String(row.supportCases),
    social_media: flag(f.socialMedia),
    security: flag(f.security),
    data_loss: flag(f.dataLoss),
    core_feature: flag(f.coreFeature),
    workaround: flag(f.workaround),
  };
}

function isPublicComponent(c: Catalog['components'][number], catalog: Catalog): boolean {
  if (c.visibility !== 'public') return false;
  const group = c.groupId ? catalog.groups.find((g) => g.id === c.groupId) : null;
  return !group || group.visibility === 'public';
}

function choice(c: Catalog['components'][number], catalog: Catalog, linked: Set<string>): ComponentChoice {
  return {
    id: c.id,
    name: c.name,
    internal: !isPublicComponent(c, catalog),
    status: c.status,
    statusLabel: componentStatusLabel(c.status),
    linked: linked.has(c.id),
  };
}

/** The components grouped and ordered as on the status page (groups and loose components by position). */
function picker(catalog: Catalog, linked: Set<string>): PickerItem[] {
  const items: (PickerItem & { position: number })[] = [];
  for (const g of catalog.groups) {
    const members = catalog.components.filter((c) => c.groupId === g.id);
    if (!members.length) continue;
    items.push({
      type: 'group',
      id: g.id,
      name: g.name,
      internal: g.visibility === 'internal',
      components: members.map((c) => choice(c, catalog, linked)),
      position: g.position,
    });
  }
  for (const c of catalog.components) {
    if (c.groupId && catalog.groups.some((g) => g.id === c.groupId)) continue;
    items.push({ type: 'component', component: choice(c, catalog, linked), position: c.position });
  }
  return items.sort((a, b) => a.position - b.position).map(({ position: _, ...item }) => item as PickerItem);
}

/** The names `{{components}}` lists: public ones only when customers read the text. */
function chosenComponents(catalog: Catalog, ids: string[], forCustomers: boolean): { name: string }[] {
  const wanted = new Set(ids);
  return catalog.components
    .filter((c) => wanted.has(c.id) && (!forCustomers || isPublicComponent(c, catalog)))
    .map((c) => ({ name: c.name }));
}

function templateIncident(row: Incident, components: { name: string }[]): TemplateIncident {
  return {
    name: row.name,
    kind: row.kind,
    status: row.status,
    severity: row.severity,
    startedAt: row.startedAt,
    resolvedAt: row.resolvedAt,
    components,
    impactCustomer: row.impactCustomer,
    supportCases: row.supportCases,
  };
}

/**
 * Fills a form from a template: the title (if it has one), the status it proposes and the
 * body, placeholders filled from the page settings, the incident and the chosen components.
 * With no component chosen yet, `{{components}}` stays for the preview to fill.
 */
function applyTemplate(
  values: Values,
  template: Template,
  ctx: { settings: Settings; catalog: Catalog; now: Date; incident: Incident | null; linked?: Set<string> },
): void {
  const forCustomers = template.audience === 'external';
  const chosenIds = Object.keys(componentFields(values));
  const names = chosenComponents(ctx.catalog, [...(ctx.linked ?? []), ...chosenIds], forCustomers);
  const status = template.status && isIncidentStatus(template.status) ? template.status : null;
  const about: TemplateIncident = ctx.incident
    ? { ...templateIncident(ctx.incident, names), status: status ?? ctx.incident.status }
    : {
        name: values.name || null,
        kind: 'incident',
        status: status ?? (isIncidentStatus(values.status) ? values.status : null),
        severity: asSeverity(values.severity),
        startedAt: ctx.now,
        components: names,
      };
  const filled: Record<string, string> = templateValues(about, ctx.settings, ctx.now);
  if (!names.length && !ctx.incident) delete filled.components;
  if (!ctx.incident && template.title.trim()) values.name = fillTemplate(template.title, filled).text;
  if (status) values.status = status;
  values.body = fillTemplate(template.body, filled).text;
  values.template_id = template.id;
}

/** Fills the known placeholders still in a text; any other `{{…}}` is a problem on the field. */
function fillLeftovers(
  problems: Problems,
  field: string,
  text: string,
  about: TemplateIncident,
  ctx: { settings: Settings; now: Date },
): string {
  if (!listPlaceholders(text).length) return text;
  const { text: filled, missing } = fillTemplate(text, templateValues(about, ctx.settings, ctx.now));
  if (missing.length) {
    problems.add(field, `Replace ${missing.map((m) => `{{${m}}}`).join(', ')}: Vigie has no value for it.`);
  }
  return filled;
}

function requireStatus(problems: Problems, status: string): void {
  if (!status) problems.add('status', 'Choose a status');
  else if (!isIncidentStatus(status)) {
    problems.add('status', `An incident’s status is one of: ${INCIDENT_STATUSES.join(', ')}`);
  }
}

function reportUnknownComponents(problems: Problems, catalog: Catalog, ids: string[]): void {
  const known = new Set(catalog.components.map((c) => c.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length)
    problems.add('components', `No such component${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
}

function isIncidentStatus(value: string): value is (typeof INCIDENT_STATUSES)[number] {
  return (INCIDENT_STATUSES as readonly string[]).includes(value);
}

function asSeverity(value: string): Severity | null {
  return value === '1' || value === '2' || value === '3' ? (Number(value) as Severity) : null;
}

/** '' → undefined (the service asks for one); a number → the number; anything else as is, for zod to refuse. */
function severityInput(value: string): Severity | undefined {
  if (!value) return undefined;
  return (/^\d{1,3}$/.test(value) ? Number(value) : value) as Severity;
}

/** `components.<id>` fields with a status chosen ('' means "not affected" / "the default"). */
function componentFields(values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith('components.') && value) out[key.slice('components.'.length)] = value;
  }
  return out;
}

function otherErrors(errors: Errors, shown: string[]): string[] {
  return Object.entries(errors)
    .filter(([field]) => !shown.includes(field) && !field.startsWith('components.'))
    .map(([, message]) => message);
}

/** Every value as a hidden field, for the preview's Publish and Edit buttons. */
function hiddenFields(values: Values): { name: string; value: string }[] {
  return Object.entries(values)
    .filter(([name]) => name !== 'step' && name !== 'action')
    .map(([name, value]) => ({ name, value }));
}

/** The action field, read from a copy of the request so the body stays readable. */
async function peekAction(request: Request): Promise<string | null> {
  try {
    const value = (await request.clone().formData()).get('action');
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}

/**
 * The named fields, `step`, and every `components.<id>` field of a submitted form, as
 * strings. A body that is not a form reads as an empty form: the checks then say what is missing.
 */
async function readValues(request: Request, names: readonly string[]): Promise<Values> {
  let data: FormData;
  try {
    data = await request.formData();
  } catch {
    data = new FormData();
  }
  const text = (v: FormDataEntryValue | null) => (typeof v === 'string' ? v : '');
  const values: Values = { step: text(data.get('step')) };
  for (const n of names) values[n] = text(data.get(n));
  let count = 0;
  for (const [key, value] of data) {
    if (key.startsWith('components.') && count++ < MAX_COMPONENT_FIELDS) values[key] = text(value);
  }
  return values;
}

function collect(problems: Problems, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    for (const [field, message] of Object.entries(err.fields)) problems.add(field, message);
    if (!Object.keys(err.fields).length) problems.add('_', err.message);
  }
}

export type Outcome<T> =
  { ok: true; value: T } | { ok: false; status: number; errors: Errors; refused?: string; notFound?: boolean };

/** Runs a form action; the services' errors become what the page shows (422, 403, 404, 409). */
export async function attempt<T>(action: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await action() };
  } catch (err) {
    if (err instanceof ValidationError) {
      return { ok: false, status: 422, errors: Object.keys(err.fields).length ? err.fields : { _: err.message } };
    }
    if (err instanceof ForbiddenError) return { ok: false, status: 403, errors: {}, refused: err.message };
    if (err instanceof NotFoundError) return { ok: false, status: 404, errors: { _: err.message }, notFound: true };
    if (err instanceof ServiceError) return { ok: false, status: err.status, errors: { _: err.message } };
    throw err;
  }
}

/** A fresh idempotency key for a form: made when the form is first shown, kept through the preview. */
function newKey(): string {
  return newSecret().slice(0, 32);
}

function when(date: Date, settings: Settings, lang?: Lang): { iso: string; text: string } {
  const chrome = pageChrome(settings, lang ? { lang } : undefined);
  return { iso: date.toISOString(), text: formatDateTime(date, chrome.timeZone, chrome.locale) };
}
