/**
 * The admin pages of components and groups (/admin/components…): the list in page order
 * with a status select per component and up/down buttons, the create and edit forms, and
 * the delete confirmations. Every role may read; changing a status needs responder,
 * anything else admin ('components:manage'); the services check both.
 */
import type { Db } from '../../db/client.ts';
import { COMPONENT_STATUSES, VISIBILITIES, type ComponentStatus, type Visibility } from '../../domain/enums.ts';
import { componentStatusLabel } from '../../domain/status.ts';
import { getComponent, getGroup, listComponents, listGroups } from '../components/queries.ts';
import {
  createComponent,
  createGroup,
  deleteComponent,
  deleteGroup,
  updateComponent,
  updateGroup,
  type Component,
  type ComponentGroup,
} from '../components/service.ts';
import { NotFoundError } from '../errors.ts';
import { runForm, type FormState } from '../forms.ts';
import { isId } from '../ids.ts';
import { allowed, authorize, type Caller } from '../services.ts';
import { adminPage, blankForm, checked, integer, placeErrors, submitted, text, type PageOutcome } from './page.ts';

export const COMPONENTS_PATH = '/admin/components';
const BACK = { href: COMPONENTS_PATH, label: 'Back to the components' };

export const STATUS_OPTIONS = COMPONENT_STATUSES.map((s) => ({ value: s, label: componentStatusLabel(s) }));
export const VISIBILITY_OPTIONS = VISIBILITIES.map((v) => ({
  value: v,
  label: v === 'public' ? 'Public: on the status page' : 'Internal: staff only',
}));

const NOTICES: Record<string, string> = {
  'component-created': 'The component is created.',
  'component-saved': 'The component is saved.',
  'component-deleted': 'The component is deleted.',
  'group-created': 'The group is created.',
  'group-saved': 'The group is saved.',
  'group-deleted': 'The group is deleted. Its components are now outside any group.',
};

/** One line of the list: a group, or a component (inside a group or at the top level). */
export type Row = {
  type: 'group' | 'component';
  id: string;
  name: string;
  visibility: Visibility;
  position: number;
  /** Set for components. */
  status?: ComponentStatus;
  statusLabel?: string;
  /** A component shown inside its group. */
  nested: boolean;
  /** A group without components (the status page hides it). */
  empty: boolean;
  /** First or last among its siblings (no up / down button). */
  first: boolean;
  last: boolean;
};

export type ComponentsView = {
  rows: Row[];
  canManage: boolean;
  canSetStatus: boolean;
  notice?: string;
  /** The row whose form was just submitted, and its state (errors shown next to it). */
  target?: string;
  form: FormState;
};

/** GET: the list. POST `intent=status` (component_id, status) or `intent=move` (type, id, direction). */
export function loadComponentsPage(db: Db, caller: Caller, request: Request): Promise<PageOutcome<ComponentsView>> {
  return adminPage(async () => {
    authorize(caller, 'internal:read');
    const url = new URL(request.url);
    const form = await submitted(request);
    let state: FormState = blankForm({});
    let target: string | undefined;
    if (form) {
      const intent = text(form, 'intent');
      if (intent === 'status') {
        target = text(form, 'component_id');
        const status = text(form, 'status');
        state = await runForm({ status }, async () => {
          const row = await updateComponent(db, caller, target!, { status: status as ComponentStatus });
          return `${row.name} is now ${componentStatusLabel(row.status).toLowerCase()}.`;
        });
      } else if (intent === 'move') {
        target = text(form, 'id');
        state = await runForm({}, () =>
          moveItem(db, caller, text(form, 'type'), target!, text(form, 'direction') === 'up' ? -1 : 1),
        );
      } else {
        state = { values: {}, errors: { _: 'This form is not one Vigie knows. Reload the page.' }, status: 400 };
      }
    }
    const items = await loadItems(db);
    return {
      status: state.status,
      view: {
        rows: toRows(items),
        canManage: allowed(caller, 'components:manage'),
        canSetStatus: allowed(caller, 'component:status'),
        notice: state.notice ?? (form ? undefined : NOTICES[url.searchParams.get('done') ?? '']),
        target,
        form: state,
      },
    };
  });
}

type LoadedItem =
  { type: 'group'; group: ComponentGroup; children: Component[] } | { type: 'component'; component: Component };

/** The top level as the status page orders it: groups and ungrouped components by position (groups first on a tie). */
async function loadItems(db: Db): Promise<LoadedItem[]> {
  const groups = await listGroups(db);
  const all = await listComponents(db);
  const items: LoadedItem[] = [
    ...groups.map((group) => ({
      type: 'group' as const,
      group,
      children: all.filter((c) => c.groupId === group.id),
    })),
    ...all.filter((c) => c.groupId === null).map((component) => ({ type: 'component' as const, component })),
  ];
  return items.sort((a, b) => itemOf(a).position - itemOf(b).position);
}

function itemOf(item: LoadedItem): { id: string; position: number } {
  return item.type === 'group' ? item.group : item.component;
}

function toRows(items: LoadedItem[]): Row[] {
  const edges = (i: number, n: number) => ({ first: i === 0, last: i === n - 1 });
  return items.flatMap((item, i): Row[] => {
    if (item.type === 'component') return [componentRow(item.component, false, edges(i, items.length))];
    const g = item.group;
    return [
      {
        type: 'group',
        id: g.id,
        name: g.name,
        visibility: g.visibility,
        position: g.position,
        nested: false,
        empty: item.children.length === 0,
        ...edges(i, items.length),
      },
      ...item.children.map((c, j) => componentRow(c, true, edges(j, item.children.length))),
    ];
  });
}

function componentRow(c: Component, nested: boolean, edges: { first: boolean; last: boolean }): Row {
  return {
    type: 'component',
    id: c.id,
    name: c.name,
    visibility: c.visibility,
    position: c.position,
    status: c.status,
    statusLabel: componentStatusLabel(c.status),
    nested,
    empty: false,
    ...edges,
  };
}

/**
 * Moves a group or component one place up or down among its siblings: the siblings are
 * numbered 1…n in their current order, the two neighbours swap, and every position that
 * changed is saved through the service (which checks 'components:manage' and audits it).
 */
async function moveItem(db: Db, caller: Caller, type: string, id: string, step: -1 | 1): Promise<string> {
  authorize(caller, 'components:manage');
  const items = await loadItems(db);
  let siblings: { type: 'group' | 'component'; id: string; position: number; name: string }[];
  const parent = items.find((i) => i.type === 'group' && i.children.some((c) => c.id === id));
  if (type === 'component' && parent?.type === 'group') {
    siblings = parent.children.map((c) => ({ type: 'component', id: c.id, position: c.position, name: c.name }));
  } else {
    siblings = items.map((i) => ({ type: i.type, ...pick(i.type === 'group' ? i.group : i.component) }));
  }
  const index = siblings.findIndex((s) => s.id === id && s.type === type);
  if (index < 0) throw new NotFoundError(`There is no ${type === 'group' ? 'component group' : 'component'} ${id}`);
  const other = index + step;
  if (other < 0 || other >= siblings.length)
    return `${siblings[index].name} is already ${step < 0 ? 'first' : 'last'}.`;
  const order = [...siblings];
  [order[index], order[other]] = [order[other], order[index]];
  for (const [i, s] of order.entries()) {
    const position = i + 1;
    if (s.position === position) continue;
    if (s.type === 'group') await updateGroup(db, caller, s.id, { position });
    else await updateComponent(db, caller, s.id, { position });
  }
  return `${siblings[index].name} moved ${step < 0 ? 'up' : 'down'}.`;
}

function pick(x: { id: string; position: number; name: string }) {
  return { id: x.id, position: x.position, name: x.name };
}

// ---------------------------------------------------------------------------------------
// Create and edit

export const COMPONENT_FIELDS = [
  'name',
  'description',
  'group_id',
  'position',
  'visibility',
  'status',
  'showcase',
  'only_show_if_degraded',
] as const;
export type ComponentValues = Record<(typeof COMPONENT_FIELDS)[number], string>;

export type ComponentFormView = {
  /** null when creating. */
  component: { id: string; name: string } | null;
  groups: { value: string; label: string }[];
  form: FormState<ComponentValues>;
};

/** /admin/components/new (id null) and /admin/components/{id}: admin only. */
export function loadComponentForm(
  db: Db,
  caller: Caller,
  request: Request,
  id: string | null,
): Promise<PageOutcome<ComponentFormView>> {
  return adminPage(async () => {
    authorize(caller, 'components:manage');
    const existing = id === null ? null : await requireComponent(db, id);
    const groups = (await listGroups(db)).map((g) => ({
      value: g.id,
      label: g.visibility === 'internal' ? `${g.name} (internal)` : g.name,
    }));
    const view = (form: FormState<ComponentValues>) => ({
      view: { component: existing && { id: existing.id, name: existing.name }, groups, form },
      status: form.status,
    });
    const form = await submitted(request);
    if (!form) return view(blankForm(existing ? componentValues(existing) : newComponentValues()));
    const values = Object.fromEntries(COMPONENT_FIELDS.map((f) => [f, text(form, f)])) as ComponentValues;
    values.showcase = checked(form, 'showcase') ? 'true' : '';
    values.only_show_if_degraded = checked(form, 'only_show_if_degraded') ? 'true' : '';
    const input = {
      name: values.name,
      description: values.description,
      groupId: values.group_id || null,
      position: integer(values.position) as number | undefined,
      visibility: values.visibility as Visibility,
      showcase: values.showcase === 'true',
      onlyShowIfDegraded: values.only_show_if_degraded === 'true',
    };
    const state = await runForm(values, async () => {
      if (existing) await updateComponent(db, caller, existing.id, input);
      else await createComponent(db, caller, { ...input, status: values.status as ComponentStatus });
    });
    if (state.status === 200)
      return { redirect: `${COMPONENTS_PATH}?done=component-${existing ? 'saved' : 'created'}` };
    return view({ ...state, errors: placeErrors(state.errors, COMPONENT_FIELDS) });
  }, BACK);
}

function newComponentValues(): ComponentValues {
  return {
    name: '',
    description: '',
    group_id: '',
    position: '',
    visibility: 'public',
    status: 'operational',
    showcase: 'true',
    only_show_if_degraded: '',
  };
}

function componentValues(c: Component): ComponentValues {
  return {
    name: c.name,
    description: c.description ?? '',
    group_id: c.groupId ?? '',
    position: String(c.position),
    visibility: c.visibility,
    status: c.status,
    showcase: c.showcase ? 'true' : '',
    only_show_if_degraded: c.onlyShowIfDegraded ? 'true' : '',
  };
}

export const GROUP_FIELDS = ['name', 'description', 'position', 'visibility', 'collapsed'] as const;
export type GroupValues = Record<(typeof GROUP_FIELDS)[number], string>;

export type GroupFormView = {
  group: { id: string; name: string; componentCount: number } | null;
  form: FormState<GroupValues>;
};

/** /admin/components/groups/new (id null) and /admin/components/groups/{id}: admin only. */
export function loadGroupForm(
  db: Db,
  caller: Caller,
  request: Request,
  id: string | null,
): Promise<PageOutcome<GroupFormView>> {
  return adminPage(async () => {
    authorize(caller, 'components:manage');
    const existing = id === null ? null : await requireGroup(db, id);
    const view = (form: FormState<GroupValues>) => ({
      view: {
        group: existing && { id: existing.id, name: existing.name, componentCount: existing.componentIds.length },
        form,
      },
      status: form.status,
    });
    const form = await submitted(request);
    if (!form) {
      return view(
        blankForm(
          existing
            ? {
                name: existing.name,
                description: existing.description ?? '',
                position: String(existing.position),
                visibility: existing.visibility,
                collapsed: existing.collapsed ? 'true' : '',
              }
            : { name: '', description: '', position: '', visibility: 'public', collapsed: '' },
        ),
      );
    }
    const values = Object.fromEntries(GROUP_FIELDS.map((f) => [f, text(form, f)])) as GroupValues;
    values.collapsed = checked(form, 'collapsed') ? 'true' : '';
    const input = {
      name: values.name,
      description: values.description,
      position: integer(values.position) as number | undefined,
      visibility: values.visibility as Visibility,
      collapsed: values.collapsed === 'true',
    };
    const state = await runForm(values, async () => {
      if (existing) await updateGroup(db, caller, existing.id, input);
      else await createGroup(db, caller, input);
    });
    if (state.status === 200) return { redirect: `${COMPONENTS_PATH}?done=group-${existing ? 'saved' : 'created'}` };
    return view({ ...state, errors: placeErrors(state.errors, GROUP_FIELDS) });
  }, BACK);
}

// ---------------------------------------------------------------------------------------
// Delete, with a confirmation step

export type DeleteView = {
  type: 'component' | 'group';
  id: string;
  name: string;
  /** What else goes, or what stays, in one sentence. */
  consequence: string;
  form: FormState;
};

/** /admin/components/{id}/delete: GET asks, POST deletes and goes back to the list. Admin only. */
export function loadComponentDelete(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
): Promise<PageOutcome<DeleteView>> {
  return adminPage<DeleteView>(async () => {
    authorize(caller, 'components:manage');
    const c = await requireComponent(db, id);
    const form = await submitted(request);
    const state = form ? await runForm({}, () => deleteComponent(db, caller, c.id)) : blankForm({});
    if (form && state.status === 200) return { redirect: `${COMPONENTS_PATH}?done=component-deleted` };
    return {
      status: state.status,
      view: {
        type: 'component',
        id: c.id,
        name: c.name,
        consequence:
          'Its status history and uptime go with it, and incidents, maintenances and subscribers no longer refer to it. This cannot be undone.',
        form: state,
      },
    };
  }, BACK);
}

/** /admin/components/groups/{id}/delete: GET asks, POST deletes. Admin only. */
export function loadGroupDelete(
  db: Db,
  caller: Caller,
  request: Request,
  id: string,
): Promise<PageOutcome<DeleteView>> {
  return adminPage<DeleteView>(async () => {
    authorize(caller, 'components:manage');
    const g = await requireGroup(db, id);
    const form = await submitted(request);
    const state = form ? await runForm({}, () => deleteGroup(db, caller, g.id)) : blankForm({});
    if (form && state.status === 200) return { redirect: `${COMPONENTS_PATH}?done=group-deleted` };
    const n = g.componentIds.length;
    return {
      status: state.status,
      view: {
        type: 'group',
        id: g.id,
        name: g.name,
        consequence:
          n === 0
            ? 'The group has no components.'
            : `Its ${n} component${n === 1 ? '' : 's'} stay${n === 1 ? 's' : ''}, outside any group.`,
        form: state,
      },
    };
  }, BACK);
}

async function requireComponent(db: Db, id: string): Promise<Component> {
  const row = isId(id) ? await getComponent(db, id) : null;
  if (!row) throw new NotFoundError(`There is no component ${id}`);
  return row;
}

async function requireGroup(db: Db, id: string) {
  const row = isId(id) ? await getGroup(db, id) : null;
  if (!row) throw new NotFoundError(`There is no component group ${id}`);
  return row;
}
