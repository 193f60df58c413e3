/**
 * The admin pages of email subscribers (/admin/subscribers…): the list with counts and a
 * search, adding one, importing a CSV, and removing one after a confirmation.
 *
 * Who sees what: addresses are personal data, so only the roles that manage subscribers
 * (comms and admin, 'subscribers:manage') see them in full and may search them. Viewers and
 * responders see the counts and masked addresses (`a***@example.com`), and no search box:
 * a "contains" search would let them test any address one guess at a time.
 */
import { suppressionNotes } from './deliveries.ts';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { subscribers } from '../../db/schema/index.ts';
import { listComponents } from '../components/queries.ts';
import { ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { runForm, type FormState } from '../forms.ts';
import { isId } from '../ids.ts';
import { allowed, authorize, type Caller } from '../services.ts';
import { loadComponentIndex } from '../status-page/queries.ts';
import {
  listSubscribers,
  subscriberState,
  type SubscriberCounts,
  type SubscriberState,
} from '../subscribers/queries.ts';
import { createSubscriber, deleteSubscriber, maskEmail } from '../subscribers/service.ts';
import {
  adminChrome,
  adminPage,
  blankForm,
  checked,
  pageParam,
  placeErrors,
  refuse,
  submitted,
  text,
  texts,
  when,
  type PageOutcome,
} from './page.ts';

export const SUBSCRIBERS_PATH = '/admin/subscribers';
const BACK = { href: SUBSCRIBERS_PATH, label: 'Back to the subscribers' };
const PER_PAGE = 50;
/** An import reads at most this many addresses, and a file of at most this size. */
export const MAX_IMPORT_ROWS = 5_000;
export const MAX_IMPORT_BYTES = 1024 * 1024;

export const STATE_LABELS: Record<SubscriberState, string> = {
  confirmed: 'Confirmed',
  unconfirmed: 'Pending confirmation',
  unsubscribed: 'Unsubscribed',
  suppressed: 'Suppressed (bounced or complained)',
};

export type SubscriberRow = {
  id: string;
  email: string;
  state: SubscriberState;
  stateLabel: string;
  components: string;
  created: string;
};

export type SubscribersView = {
  rows: SubscriberRow[];
  counts: SubscriberCounts;
  matching: number;
  search: string;
  page: number;
  pages: number;
  /** Comms and admin: full addresses, search, add, import, remove. */
  canManage: boolean;
  /** Public components a new subscriber may choose. */
  componentOptions: { value: string; label: string }[];
  addForm: FormState<{ email: string; confirmed: string }>;
  addComponents: string[];
  /** Why each suppressed subscriber of the page is no longer mailed, by id. */
  suppressed: Record<string, string>;
  notice?: string;
};

const NOTICES: Record<string, string> = { removed: 'The subscriber is removed.' };

/** /admin/subscribers: GET the list (`?q=`, `?page=`); POST adds one (email, confirmed, component_ids). */
export function loadSubscribersPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<SubscribersView>> {
  return adminPage(async () => {
    authorize(caller, 'internal:read');
    const canManage = allowed(caller, 'subscribers:manage');
    const url = new URL(request.url);
    const page = pageParam(url);
    if (page === null) throw new NotFoundError('There is no such page of subscribers');
    const search = canManage ? (url.searchParams.get('q') ?? '').trim().slice(0, 320) : '';

    const form = await submitted(request);
    let addForm = blankForm({ email: '', confirmed: '' });
    let addComponents: string[] = [];
    if (form) {
      const values = { email: text(form, 'email'), confirmed: checked(form, 'confirmed') ? 'true' : '' };
      addComponents = texts(form, 'component_ids');
      addForm = await runForm(values, async () => {
        const s = await createSubscriber(db, caller, {
          email: values.email,
          confirmed: values.confirmed === 'true',
          componentIds: addComponents,
        });
        return s.confirmedAt
          ? `${s.email} is subscribed.`
          : `${s.email} is added; a confirmation email is on its way, and updates start once they confirm.`;
      });
      addForm.errors = placeErrors(addForm.errors, ['email', 'confirmed', 'component_ids']);
      if (addForm.status === 200) {
        addForm.values = { email: '', confirmed: '' };
        addComponents = [];
      }
    }

    const chrome = await adminChrome(db, request);
    const list = await listSubscribers(db, { search, page, perPage: PER_PAGE });
    const pages = Math.max(1, Math.ceil(list.matching / PER_PAGE));
    const names = new Map((await listComponents(db)).map((c) => [c.id, c.name]));
    const publicComponents = [...(await loadComponentIndex(db, 'public')).values()].sort(
      (a, b) => a.position - b.position || a.name.localeCompare(b.name),
    );
    return {
      status: addForm.status,
      view: {
        rows: list.subscribers.map((s) => ({
          id: s.id,
          email: canManage ? s.email : maskEmail(s.email),
          state: s.state,
          stateLabel: STATE_LABELS[s.state],
          components: s.allComponents
            ? 'Every component'
            : s.componentIds.map((id) => names.get(id) ?? id).join(', ') || 'None',
          created: when(s.createdAt, chrome),
        })),
        counts: list.counts,
        matching: list.matching,
        search,
        page,
        pages,
        canManage,
        componentOptions: publicComponents.map((c) => ({ value: c.id, label: c.name })),
        addForm,
        addComponents,
        suppressed: await suppressionNotes(
          db,
          caller,
          list.subscribers.filter((x) => x.state === 'suppressed').map((x) => x.id),
        ),
        notice: form ? undefined : NOTICES[url.searchParams.get('done') ?? ''],
      },
    };
  });
}

// ---------------------------------------------------------------------------------------
// Import

export type ImportReport = {
  added: number;
  /** Line numbers of addresses already subscribed (or repeated in the file). */
  duplicates: number[];
  invalid: { line: number; value: string; message: string }[];
};

export type ImportView = {
  form: FormState<{ csv: string }>;
  report: ImportReport | null;
  maxRows: number;
};

/** /admin/subscribers/import: comms and admin. POST `file` (upload) or `csv` (pasted). */
export function loadSubscriberImport(db: Db, caller: Caller, request: Request): Promise<PageOutcome<ImportView>> {
  return adminPage<ImportView>(async () => {
    authorize(caller, 'subscribers:manage');
    const form = await submitted(request);
    if (!form) return { view: { form: blankForm({ csv: '' }), report: null, maxRows: MAX_IMPORT_ROWS } };
    const pasted = text(form, 'csv');
    let report: ImportReport | null = null;
    const state = await runForm({ csv: pasted }, async () => {
      const file = form.get('file');
      const upload = file instanceof File && file.size > 0 ? file : null;
      if (upload && upload.size > MAX_IMPORT_BYTES) refuse({ file: 'The file is larger than 1 MB: split it.' });
      const source = upload ? await upload.text() : pasted;
      if (!source.trim()) refuse({ csv: 'Choose a file or paste the addresses, one a line.' });
      if (!upload && source.length > MAX_IMPORT_BYTES) refuse({ csv: 'This is more than 1 MB of text: split it.' });
      report = await importSubscribers(db, caller, source);
      const { added, duplicates, invalid } = report;
      return `${added} added, ${duplicates.length} skipped as already subscribed, ${invalid.length} not valid.`;
    });
    return { status: state.status, view: { form: state, report, maxRows: MAX_IMPORT_ROWS } };
  }, BACK);
}

/**
 * Imports subscribers as confirmed (people who agreed elsewhere), one createSubscriber call
 * per address so each is checked, audited and refused on its own. The text is one address
 * a line, or a CSV whose header has an `email` column and optionally a `components` column
 * of component ids separated by `;`.
 */
export async function importSubscribers(db: Db, caller: Caller, source: string): Promise<ImportReport> {
  authorize(caller, 'subscribers:manage');
  const records = parseCsv(source.replace(/^\uFEFF/, '')).filter((r) => r.cells.some((c) => c.trim() !== ''));
  const header = records[0]?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const emailAt = header.indexOf('email');
  const rows = emailAt >= 0 ? records.slice(1) : records;
  const componentsAt = emailAt >= 0 ? header.findIndex((h) => h === 'components' || h === 'component_ids') : -1;
  if (rows.length > MAX_IMPORT_ROWS) {
    refuse({ csv: `This is ${rows.length} addresses; import at most ${MAX_IMPORT_ROWS} at a time.` });
  }
  const report: ImportReport = { added: 0, duplicates: [], invalid: [] };
  for (const { line, cells } of rows) {
    const email = (cells[Math.max(emailAt, 0)] ?? '').trim();
    const componentIds =
      componentsAt >= 0
        ? (cells[componentsAt] ?? '')
            .split(';')
            .map((id) => id.trim())
            .filter(Boolean)
        : [];
    try {
      await createSubscriber(db, caller, { email, confirmed: true, componentIds });
      report.added++;
    } catch (err) {
      if (err instanceof ConflictError) report.duplicates.push(line);
      else if (err instanceof ValidationError) {
        const message = Object.values(err.fields)[0] ?? err.message;
        report.invalid.push({ line, value: email.slice(0, 100), message });
      } else throw err;
    }
  }
  return report;
}

/**
 * A small RFC 4180 reader: commas, double quotes with `""` escapes, quoted line breaks,
 * CRLF or LF. Each record carries the line it starts on (1-based), for the report.
 */
export function parseCsv(source: string): { line: number; cells: string[] }[] {
  const records: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i];
    if (quoted) {
      if (ch === '"' && source[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i++;
      cells.push(cell);
      records.push({ line: start, cells });
      cells = [];
      cell = '';
      line++;
      start = line;
    } else cell += ch;
  }
  if (cell !== '' || cells.length) {
    cells.push(cell);
    records.push({ line: start, cells });
  }
  return records;
}

// ---------------------------------------------------------------------------------------
// Remove

export type RemoveView = { id: string; email: string; stateLabel: string; form: FormState };

/** /admin/subscribers/{id}/delete: GET asks, POST removes and goes back to the list. Comms and admin. */
export function loadSubscriberRemove(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
): Promise<PageOutcome<RemoveView>> {
  return adminPage<RemoveView>(async () => {
    authorize(caller, 'subscribers:manage');
    const [row] = isId(id) ? await db.select().from(subscribers).where(eq(subscribers.id, id)) : [];
    if (!row) throw new NotFoundError(`There is no subscriber ${id}`);
    const form = await submitted(request);
    const state = form ? await runForm({}, () => deleteSubscriber(db, caller, row.id)) : blankForm({});
    if (form && state.status === 200) return { redirect: `${SUBSCRIBERS_PATH}?done=removed` };
    return {
      status: state.status,
      view: { id: row.id, email: row.email, stateLabel: STATE_LABELS[subscriberState(row)], form: state },
    };
  }, BACK);
}
