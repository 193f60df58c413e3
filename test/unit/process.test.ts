import { describe, expect, it } from 'vitest';
import { channelTopic, INCIDENT_ROLE_DEFINITIONS, suggestSeverity } from '../../src/domain/process.ts';

describe('suggestSeverity', () => {
  it('says nothing until the answers bear on severity', () => {
    expect(suggestSeverity({})).toBeNull();
    expect(suggestSeverity({ impactScope: null, impactFactors: { socialMedia: true } })).toBeNull();
  });
  it('makes all customers, a security breach or data loss Sev 1, whatever else is said', () => {
    expect(suggestSeverity({ impactScope: 'all' })?.severity).toBe(1);
    expect(
      suggestSeverity({ impactScope: 'some', impactFactors: { security: true, workaround: true } })?.severity,
    ).toBe(1);
    expect(suggestSeverity({ impactFactors: { dataLoss: true } })?.severity).toBe(1);
  });
  it('makes a degraded core feature or some customers Sev 2', () => {
    expect(suggestSeverity({ impactFactors: { coreFeature: true, workaround: true } })?.severity).toBe(2);
    expect(suggestSeverity({ impactScope: 'some' })?.severity).toBe(2);
  });
  it('makes a minor inconvenience with a workaround Sev 3', () => {
    const s = suggestSeverity({ impactScope: 'some', impactFactors: { workaround: true } });
    expect(s).toEqual({ severity: 3, reason: expect.stringContaining('workaround') });
  });
});

describe('channelTopic', () => {
  it('puts key, severity, status, name, manager and links on one line', () => {
    const topic = channelTopic({
      number: 42,
      name: 'API\n errors',
      severity: 1,
      statusLabel: 'Investigating',
      managerName: 'Ana Lima',
      chatUrl: 'https://chat.example.com/c/inc-42',
      videoUrl: 'https://meet.example.com/inc-42',
      ticketUrl: null,
    });
    expect(topic).toBe(
      'INC-42 · Sev 1 · Investigating · API errors · IM: Ana Lima · Chat: https://chat.example.com/c/inc-42 · Video: https://meet.example.com/inc-42',
    );
  });
  it('says when nobody manages the incident yet', () => {
    expect(channelTopic({ number: 7, name: 'x', severity: null, statusLabel: 'Investigating' })).toBe(
      'INC-7 · Investigating · x · IM: unassigned',
    );
  });
});

describe('INCIDENT_ROLE_DEFINITIONS', () => {
  it('lists the three roles with their API fields', () => {
    expect(INCIDENT_ROLE_DEFINITIONS.map((r) => r.field)).toEqual([
      'incident_manager_id',
      'tech_lead_id',
      'comms_lead_id',
    ]);
  });
});
