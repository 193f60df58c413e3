/**
 * The templates every install starts with, inserted once by the migration
 * drizzle/0003_default_templates.sql under these fixed ids. People may edit or delete them.
 */
export const DEFAULT_TEMPLATE_IDS = {
  investigating: { internal: 'defaultinvestigatinginternal', external: 'defaultinvestigatingexternal' },
  identified: { internal: 'defaultidentifiedinternal', external: 'defaultidentifiedexternal' },
  monitoring: { internal: 'defaultmonitoringinternal', external: 'defaultmonitoringexternal' },
  resolved: { internal: 'defaultresolvedinternal', external: 'defaultresolvedexternal' },
  maintenanceScheduled: {
    internal: 'defaultmaintenancescheduledinternal',
    external: 'defaultmaintenancescheduledexternal',
  },
  maintenanceInProgress: { external: 'defaultmaintenanceinprogressexternal' },
  maintenanceCompleted: { external: 'defaultmaintenancecompletedexternal' },
} as const;
