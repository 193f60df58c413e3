/**
 * A customer-facing template filled by the service (an API call with template_id and no
 * body) must never name an internal component through {{components}}.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncident } from '../../src/server/incidents/service.ts';
import { DEFAULT_TEMPLATE_IDS } from '../../src/server/templates/defaults.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/db.ts';
import { comms } from '../helpers/principals.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

let t: TestDatabase;
let s: Awaited<ReturnType<typeof seedScenario>>;
beforeAll(async () => {
  t = await createTestDatabase();
  s = await seedScenario(t.handle.db);
});
afterAll(() => t.drop());

describe('templates filled by the service', () => {
  it('name only public components in an external template', async () => {
    const { update } = await createIncident(t.handle.db, comms, {
      name: 'Checkout errors',
      status: 'investigating',
      severity: 2,
      visibility: 'public',
      templateId: DEFAULT_TEMPLATE_IDS.investigating.external,
      components: { [s.components.rest.id]: 'partial_outage', [s.components.secretComponent.id]: 'major_outage' },
    });
    expect(update.body).toContain('REST API');
    expect(update.body).not.toContain(INTERNAL_MARKER);
  });

  it('name internal components too in an internal template', async () => {
    const { update } = await createIncident(t.handle.db, comms, {
      name: 'Billing worker stuck',
      status: 'investigating',
      severity: 3,
      visibility: 'internal',
      templateId: DEFAULT_TEMPLATE_IDS.investigating.internal,
      components: { [s.components.secretComponent.id]: 'major_outage' },
    });
    expect(update.body).toContain(INTERNAL_MARKER);
  });
});
