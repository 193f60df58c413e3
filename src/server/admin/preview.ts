/**
 * What a public update will look like wherever customers meet it, before anyone publishes
 * it: on the status page (the read model's shapes and view.ts's helpers, so the admin page
 * can render it with the public components), in the RSS item (built by the feed itself), in
 * the email, and how many subscribers will get that email.
 *
 * The email rendering lives here until the mailer exists; a later issue moves it there and
 * keeps `previewPublication` as it is.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.ts';
import type { AnyIncidentStatus, ComponentStatus, Severity } from '../../domain/enums.ts';
import { impactOf } from '../../domain/severity.ts';
import { LANGUAGE_NAMES, LANGUAGES, languageOf, messages, type Lang } from '../../i18n/index.ts';
import { buildFeed } from '../feed/rss.ts';
import { markdownToText, renderMarkdown } from '../markdown.ts';
import { reachable, wantsAnyOf } from '../notify/fanout.ts';
import { getSettings } from '../settings/queries.ts';
import { loadComponentIndex, loadIncident, type IncidentView, type UpdateView } from '../status-page/queries.ts';
import {
  componentStatusText,
  incidentItem,
  pageChrome,
  PUBLIC_VIEW,
  timeView,
  type IncidentItem,
} from '../status-page/view.ts';

/** A public update about to be published: on a new incident (`id: null`) or an existing one. */
export type PublicationDraft = {
  incident: {
    /** null while the incident is not opened yet. */
    id: string | null;
    name: string;
    severity: Severity | null;
    startedAt: Date;
    /** The components already linked to it (none for a new one). */
    linkedComponentIds?: readonly string[];
  };
  update: {
    status: AnyIncidentStatus;
    /** Markdown, as it will be stored. */
    body: string;
    /** Whether subscribers are emailed. */
    notify: boolean;
    /** The components the person named, with the status each is set to. */
    components: Readonly<Record<string, ComponentStatus>>;
    /** Components a closing update sets back (to operational) without being named. */
    restores?: Readonly<Record<string, ComponentStatus>>;
  };
};

export type PublicationPreview = {
  /** The status page: `incident` is the card the home page shows, `html` the update's sanitized body. */
  page: { html: string; incident: IncidentItem };
  rss: { title: string; description: string };
  email: { subject: string; text: string; html: string };
  /** Confirmed, subscribed and not suppressed subscribers who will be emailed (0 when `notify` is off). */
  recipients: number;
  /**
   * The email in each language Vigie speaks, the page's default first, with how many of the
   * recipients get it (each subscriber gets the language they subscribed in).
   */
  languages: {
    lang: Lang;
    name: string;
    recipients: number;
    email: { subject: string; text: string; html: string };
  }[];
};

/** What the update will look like on the page, in the feed and in the email, and who gets it. */
export async function previewPublication(
  db: Db,
  draft: PublicationDraft,
  options: { siteUrl: string; now?: Date },
): Promise<PublicationPreview> {
  const now = options.now ?? new Date();
  const settings = await getSettings(db);
  const chrome = pageChrome(settings);
  // The public index: internal components, and public ones in internal groups, never show.
  const publicComponents = await loadComponentIndex(db, 'public');
  const existing = draft.incident.id ? await loadIncident(db, draft.incident.id, 'public') : null;

  const named = draft.update.components;
  const restores = draft.update.restores ?? {};
  const after = { ...restores, ...named };
  const affected = Object.entries(after)
    .filter(([id]) => publicComponents.has(id))
    .map(([id, newStatus]) => ({
      componentId: id,
      name: publicComponents.get(id)!.name,
      oldStatus: publicComponents.get(id)!.status,
      newStatus,
    }))
    // As the service records it: what was named always, what a closing update restores only when it changes.
    .filter((a) => a.componentId in named || a.oldStatus !== a.newStatus);

  const update: UpdateView = {
    id: 'preview',
    incidentId: draft.incident.id ?? 'preview',
    status: draft.update.status,
    body: draft.update.body,
    audience: 'public',
    notify: draft.update.notify,
    displayAt: now,
    createdAt: now,
    updatedAt: now,
    affected,
  };
  const linked = new Set([...(draft.incident.linkedComponentIds ?? []), ...Object.keys(named)]);
  const impact = impactOf({ kind: 'incident', severity: draft.incident.severity });
  const closed = ['resolved', 'postmortem'].includes(draft.update.status);
  const view: IncidentView = {
    id: draft.incident.id ?? 'preview',
    number: existing?.number ?? 0,
    kind: 'incident',
    name: draft.incident.name,
    status: draft.update.status,
    severity: draft.incident.severity,
    impact,
    visibility: 'public',
    startedAt: draft.incident.startedAt,
    identifiedAt: existing?.identifiedAt ?? null,
    monitoringAt: existing?.monitoringAt ?? null,
    resolvedAt: existing?.resolvedAt ?? (closed ? now : null),
    scheduledFor: null,
    scheduledUntil: null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
    components: [...linked]
      .filter((id) => publicComponents.has(id))
      .map((id) => {
        const c = publicComponents.get(id)!;
        return { ...c, status: after[id] ?? c.status };
      })
      .sort((a, b) => a.position - b.position || a.name.localeCompare(b.name)),
    updates: [update, ...(existing?.updates ?? [])],
  };
  const item = incidentItem(view, chrome, now, PUBLIC_VIEW);

  const siteUrl = options.siteUrl.replace(/\/+$/, '');
  const incidentUrl = draft.incident.id
    ? `${siteUrl}/incidents/${encodeURIComponent(draft.incident.id)}`
    : `${siteUrl}/incidents/…`;
  const rss = rssItem(
    buildFeed({
      siteUrl,
      pageName: chrome.pageName,
      language: chrome.locale,
      entries: [{ update, incident: { id: view.id, name: view.name, kind: 'incident', status: view.status, impact } }],
    }),
  );
  const emailIn = (lang: Lang) => {
    const t = messages(lang);
    const zoned = pageChrome(settings, { lang });
    return renderEmail({
      pageName: chrome.pageName,
      incidentName: draft.incident.name,
      severity: draft.incident.severity,
      status: draft.update.status,
      body: draft.update.body,
      time: timeView(now, zoned).text,
      affected: affected.map((a) =>
        t('incident.componentStatus', { name: a.name, status: componentStatusText(a.newStatus, lang) }),
      ),
      incidentUrl,
      unsubscribeUrl: `${siteUrl}/unsubscribe?token=…`,
      manageUrl: `${siteUrl}/subscribe/manage?token=…`,
      lang,
    });
  };
  const byLanguage = draft.update.notify
    ? await countRecipientsByLanguage(
        db,
        [...linked].filter((id) => publicComponents.has(id)),
        chrome.defaultLang,
      )
    : new Map<Lang, number>();
  const order = [chrome.defaultLang, ...LANGUAGES.filter((l) => l !== chrome.defaultLang)];
  const languages = order.map((lang) => ({
    lang,
    name: LANGUAGE_NAMES[lang],
    recipients: byLanguage.get(lang) ?? 0,
    email: emailIn(lang),
  }));
  const recipients = languages.reduce((sum, l) => sum + l.recipients, 0);

  return {
    page: { html: item.updates[0].html, incident: item },
    rss,
    email: languages[0].email,
    recipients,
    languages,
  };
}

/**
 * Subscribers an update about these (public) components reaches: confirmed, neither
 * unsubscribed nor suppressed, and subscribed to everything or to one of the components.
 */
export async function countRecipients(db: Db, publicComponentIds: readonly string[]): Promise<number> {
  let total = 0;
  for (const n of (await countRecipientsByLanguage(db, publicComponentIds, 'en')).values()) total += n;
  return total;
}

/** countRecipients per email language: the one they subscribed in, `defaultLang` for those with none. */
export async function countRecipientsByLanguage(
  db: Db,
  publicComponentIds: readonly string[],
  defaultLang: Lang,
): Promise<Map<Lang, number>> {
  // The fan-out's own rule (notify/fanout.ts), so the preview counts whom publishing reaches.
  const wants = publicComponentIds.length
    ? wantsAnyOf(
        's',
        sql.join(
          publicComponentIds.map((id) => sql`${id}`),
          sql`, `,
        ),
      )
    : sql`s.all_components`;
  const rows = await queryRows<{ locale: string | null; n: number }>(
    db,
    sql`select s.locale, count(*)::int as n from subscribers s where ${reachable('s')} and ${wants} group by s.locale`,
  );
  const out = new Map<Lang, number>();
  for (const row of rows) {
    const lang = languageOf(row.locale) ?? defaultLang;
    out.set(lang, (out.get(lang) ?? 0) + Number(row.n));
  }
  return out;
}

/** `[Page] Name — Status`, with `[Sev 1]` in front of the name for the most severe incidents. */
export function emailSubject(
  pageName: string,
  incidentName: string,
  status: AnyIncidentStatus | { label: string },
  severity: Severity | null,
  lang: Lang = 'en',
) {
  const t = messages(lang);
  const label = typeof status === 'string' ? t(`status.${status}`) : status.label;
  return `[${pageName}] ${severity === 1 ? `${t('email.sev1')} ` : ''}${incidentName} — ${label}`;
}

export type EmailInput = {
  pageName: string;
  incidentName: string;
  severity: Severity | null;
  /** A status, or a label of its own (a maintenance reminder: "Starts in 60 minutes"). */
  status: AnyIncidentStatus | { label: string };
  body: string;
  time: string;
  affected: string[];
  incidentUrl: string;
  unsubscribeUrl: string;
  /** The subscriber's /subscribe/manage link, shown next to "Unsubscribe" when given. */
  manageUrl?: string;
  /** The language of the subscriber (what they subscribed in); English without. */
  lang?: Lang;
};

export function renderEmail(input: EmailInput): PublicationPreview['email'] {
  const lang = input.lang ?? 'en';
  const t = messages(lang);
  const status = typeof input.status === 'string' ? t(`status.${input.status}`) : input.status.label;
  const subject = emailSubject(input.pageName, input.incidentName, input.status, input.severity, lang);
  const footer = t('email.footer', { page: input.pageName });
  const affected = input.affected.length ? t('email.affected', { list: input.affected.join(', ') }) : null;
  const text = [
    input.incidentName,
    `${status} — ${input.time}`,
    '',
    markdownToText(input.body),
    ...(affected ? ['', affected] : []),
    '',
    t('email.followLine', { url: input.incidentUrl }),
    '',
    '--',
    footer,
    ...(input.manageUrl ? [t('email.manageLine', { url: input.manageUrl })] : []),
    t('email.unsubscribeLine', { url: input.unsubscribeUrl }),
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${e(subject)}</title></head><body style="margin:0;padding:24px;background:#f6f8fa;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2328"><div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #d1d9e0;border-radius:10px;padding:24px"><p style="margin:0 0 8px;color:#59636e;font-size:14px">${e(input.pageName)}</p><h1 style="margin:0 0 8px;font-size:20px">${e(input.incidentName)}</h1><p style="margin:0 0 16px"><strong>${e(status)}</strong> <span style="color:#59636e">— ${e(input.time)}</span></p>${renderMarkdown(input.body)}${affected ? `<p style="color:#59636e;font-size:14px">${e(affected)}</p>` : ''}<p><a href="${e(input.incidentUrl)}">${e(t('email.follow'))}</a></p></div><p style="max-width:560px;margin:16px auto 0;color:#59636e;font-size:13px">${e(footer)} ${input.manageUrl ? `<a href="${e(input.manageUrl)}">${e(t('email.manage'))}</a> · ` : ''}<a href="${e(input.unsubscribeUrl)}">${e(t('email.unsubscribe'))}</a></p></body></html>`;
  return { subject, text, html };
}

/** The title and description of the feed's only item, decoded from the XML the feed builds. */
function rssItem(xml: string): PublicationPreview['rss'] {
  const item = xml.indexOf('<item>');
  return { title: elementText(xml, 'title', item), description: elementText(xml, 'description', item) };
}

/** The text of the first `<tag>` after `from`: CDATA sections kept as they are, entities decoded. */
function elementText(xml: string, tag: string, from: number): string {
  let i = xml.indexOf(`<${tag}>`, from);
  if (i === -1) return '';
  i += tag.length + 2;
  let out = '';
  for (;;) {
    const cdata = xml.indexOf('<![CDATA[', i);
    const close = xml.indexOf(`</${tag}>`, i);
    if (close === -1) return out;
    if (cdata === -1 || close < cdata) return out + decodeEntities(xml.slice(i, close));
    out += decodeEntities(xml.slice(i, cdata));
    const end = xml.indexOf(']]>', cdata + 9);
    out += xml.slice(cdata + 9, end);
    i = end + 3;
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
