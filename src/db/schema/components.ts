import { boolean, check, date, index, integer, pgTable, serial, text } from 'drizzle-orm/pg-core';
import { COMPONENT_STATUSES, VISIBILITIES, type ComponentStatus, type Visibility } from '../../domain/enums.ts';
import { createdAt, idColumn, oneOf, ts, updatedAt } from './_columns.ts';

export const componentGroups = pgTable(
  'component_groups',
  {
    id: idColumn(),
    name: text('name').notNull(),
    description: text('description'),
    position: integer('position').notNull().default(0),
    visibility: text('visibility').$type<Visibility>().notNull().default('public'),
    /** Whether the public page shows the group folded by default. */
    collapsed: boolean('collapsed').notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check('component_groups_visibility_check', oneOf(t.visibility, VISIBILITIES))],
);

export const components = pgTable(
  'components',
  {
    id: idColumn(),
    groupId: text('group_id').references(() => componentGroups.id, { onDelete: 'set null' }),
    name: text('name').notNull(),
    description: text('description'),
    position: integer('position').notNull().default(0),
    visibility: text('visibility').$type<Visibility>().notNull().default('public'),
    status: text('status').$type<ComponentStatus>().notNull().default('operational'),
    /** Statuspage's `showcase`: whether the uptime bars are shown. */
    showcase: boolean('showcase').notNull().default(true),
    onlyShowIfDegraded: boolean('only_show_if_degraded').notNull().default(false),
    /** The day monitoring began; uptime days before it show as "no data". */
    startDate: date('start_date', { mode: 'string' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('components_visibility_check', oneOf(t.visibility, VISIBILITIES)),
    check('components_status_check', oneOf(t.status, COMPONENT_STATUSES)),
    index('components_group_position_idx').on(t.groupId, t.position),
  ],
);

/**
 * Every change of a component's status, the source of the uptime bars. A row opens an
 * interval that lasts until the component's next row.
 */
export const componentStatusChanges = pgTable(
  'component_status_changes',
  {
    id: serial('id').primaryKey(),
    componentId: text('component_id')
      .notNull()
      .references(() => components.id, { onDelete: 'cascade' }),
    status: text('status').$type<ComponentStatus>().notNull(),
    /** The status it replaced; null for the first row of a component. */
    previousStatus: text('previous_status').$type<ComponentStatus>(),
    at: ts('at').notNull().defaultNow(),
    /** The incident or maintenance that caused it, if any. */
    incidentId: text('incident_id'),
    createdAt: createdAt(),
  },
  (t) => [
    check('component_status_changes_status_check', oneOf(t.status, COMPONENT_STATUSES)),
    index('component_status_changes_component_at_idx').on(t.componentId, t.at),
    index('component_status_changes_at_idx').on(t.at),
  ],
);
