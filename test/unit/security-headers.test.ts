import { describe, expect, it } from 'vitest';
import { mayBeFramed, securityHeaders } from '../../src/server/security-headers.ts';

const directives = (csp: string) => Object.fromEntries(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d]));

describe('securityHeaders', () => {
  it('allows scripts from this origin only: no inline script, no eval', () => {
    const csp = directives(securityHeaders('/', { https: false })['content-security-policy']);
    expect(csp['script-src']).toBe("script-src 'self'");
    expect(csp['object-src']).toBe("object-src 'none'");
    expect(csp['base-uri']).toBe("base-uri 'self'");
    expect(csp['form-action']).toBe("form-action 'self'");
  });

  it('lets other sites frame the public page, incidents, history and badge, and nothing else', () => {
    for (const p of ['/', '/history', '/incidents/abc123', '/badge.svg']) {
      expect(mayBeFramed(p), p).toBe(true);
      const h = securityHeaders(p, { https: false });
      expect(h['content-security-policy']).toMatch(/frame-ancestors \*$/);
      expect(h['x-frame-options']).toBeUndefined();
    }
    for (const p of [
      '/subscribe',
      '/unsubscribe',
      '/admin',
      '/admin/login',
      '/internal',
      '/incidents/a/b',
      '/api/v1/x',
    ]) {
      expect(mayBeFramed(p), p).toBe(false);
      const h = securityHeaders(p, { https: false });
      expect(h['content-security-policy']).toMatch(/frame-ancestors 'none'$/);
      expect(h['x-frame-options']).toBe('DENY');
    }
  });

  it('sends HSTS only when the site is served over https', () => {
    expect(securityHeaders('/', { https: false })['strict-transport-security']).toBeUndefined();
    expect(securityHeaders('/', { https: true })['strict-transport-security']).toBe('max-age=31536000');
  });
});
