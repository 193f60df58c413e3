import { describe, expect, it } from 'vitest';
import * as domain from '../../src/domain/index.ts';

describe('src/domain/index.ts', () => {
  it('re-exports every module', () => {
    for (const name of [
      'COMPONENT_STATUSES',
      'statusRank',
      'worstStatus',
      'groupStatus',
      'overallStatus',
      'componentStatusLabel',
      'incidentStatusLabel',
      'maintenanceStatusLabel',
      'componentStatusIcon',
      'severityToImpact',
      'impactToSeverity',
      'DEFAULT_SEVERITY_DEFINITIONS',
      'impactOf',
      'computeUptime',
      'dayWindows',
      'UPTIME_WEIGHTS',
      'formatUptime',
      'listPlaceholders',
      'fillTemplate',
      'formatDateTime',
      'formatDuration',
      'isValidTimeZone',
      'monthKey',
      'parseMonthKey',
      'contrastRatio',
      'readableShade',
    ]) {
      expect(domain, name).toHaveProperty(name);
    }
  });
});
