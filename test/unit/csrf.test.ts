import { describe, expect, it } from 'vitest';
import { csrfTokensMatch, isCrossSiteRequest, needsCsrfCheck } from '../../src/server/auth/csrf.ts';

const url = new URL('https://status.example.com/admin/login');

describe('isCrossSiteRequest', () => {
  it('refuses a POST from another origin and accepts the same origin', () => {
    expect(isCrossSiteRequest('POST', url, 'https://evil.example')).toBe(true);
    expect(isCrossSiteRequest('POST', url, 'https://status.example.com')).toBe(false);
    expect(isCrossSiteRequest('POST', url, 'null')).toBe(true);
  });

  it('never applies to reads, the bearer API or one-click unsubscribe', () => {
    expect(isCrossSiteRequest('GET', url, 'https://evil.example')).toBe(false);
    expect(
      isCrossSiteRequest('DELETE', new URL('https://status.example.com/api/v1/components/x'), 'https://evil.example'),
    ).toBe(false);
    expect(
      isCrossSiteRequest('POST', new URL('https://status.example.com/unsubscribe?token=x'), 'https://mail.example'),
    ).toBe(false);
  });
});

describe('needsCsrfCheck', () => {
  it('covers every state-changing method outside the exempt paths', () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) expect(needsCsrfCheck(m, '/admin/incidents/new')).toBe(true);
    expect(needsCsrfCheck('GET', '/admin')).toBe(false);
    expect(needsCsrfCheck('POST', '/api/v1/incidents')).toBe(false);
    expect(needsCsrfCheck('POST', '/unsubscribe')).toBe(false);
    expect(needsCsrfCheck('POST', '/subscribe')).toBe(false);
    // A prefix is a path segment, not any string start.
    expect(needsCsrfCheck('POST', '/apiary')).toBe(true);
    expect(needsCsrfCheck('POST', '/subscribers')).toBe(true);
    expect(needsCsrfCheck('POST', '/subscribe/confirm')).toBe(false);
  });
});

describe('csrfTokensMatch', () => {
  it('compares exactly', () => {
    expect(csrfTokensMatch('abc', 'abc')).toBe(true);
    expect(csrfTokensMatch('abc', 'abd')).toBe(false);
    expect(csrfTokensMatch('abc', 'abcd')).toBe(false);
    expect(csrfTokensMatch(null, 'abc')).toBe(false);
    expect(csrfTokensMatch('abc', undefined)).toBe(false);
  });
});
