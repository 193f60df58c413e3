import { afterEach, describe, expect, it, vi } from 'vitest';
import { log, redact, redactText, saneRequestId, withRequestId } from '../../src/server/log.ts';

describe('redact', () => {
  it('cuts fields named like secrets, at any depth', () => {
    const out = redact({
      password: 'hunter2hunter2',
      user: { email: 'a@example.com', sessionToken: 't0k' },
      headers: { Authorization: 'Bearer abc', cookie: 'vigie_session=xyz', 'x-api-key': 'k' },
      webhook: { secret: 'whs', url: 'https://example.com/hook' },
      list: [{ signingSecret: 's' }],
    });
    expect(out).toEqual({
      password: '[redacted]',
      user: { email: 'a@example.com', sessionToken: '[redacted]' },
      headers: { Authorization: '[redacted]', cookie: '[redacted]', 'x-api-key': '[redacted]' },
      webhook: { secret: '[redacted]', url: 'https://example.com/hook' },
      list: [{ signingSecret: '[redacted]' }],
    });
  });

  it('strips token-like query parameters from URLs and paths, keeping the others', () => {
    expect(redactText('/subscribe/confirm?token=abc123&lang=fr')).toBe('/subscribe/confirm?token=[redacted]&lang=fr');
    expect(redactText('GET https://x.test/unsubscribe?lang=en&token=Zz-_9 failed')).toBe(
      'GET https://x.test/unsubscribe?lang=en&token=[redacted] failed',
    );
    expect(redactText('/a?manage_token=1&api_key=2&signature=3&page=2')).toBe(
      '/a?manage_token=[redacted]&api_key=[redacted]&signature=[redacted]&page=2',
    );
    expect(redactText('/history?page=2')).toBe('/history?page=2');
  });

  it('makes errors plain, their messages stripped too', () => {
    const err = new Error('fetch /unsubscribe?token=s3cret failed', { cause: new Error('inner') });
    const out = redact(err) as { name: string; message: string; stack: string; cause: { message: string } };
    expect(out.name).toBe('Error');
    expect(out.message).toBe('fetch /unsubscribe?token=[redacted] failed');
    expect(out.stack).not.toContain('s3cret');
    expect(out.cause.message).toBe('inner');
  });

  it('cuts the parameters of a failed query, and the error properties it does not know', () => {
    const err = Object.assign(
      new Error(
        'Failed query: insert into "subscribers" ("email", "token_hash") values ($1, $2)\nparams: ann@example.com,ab12',
      ),
      { params: ['ann@example.com', 'ab12'], code: '23505' },
    );
    const out = redact({ err }) as { err: Record<string, unknown> };
    expect(JSON.stringify(out)).not.toContain('ann@example.com');
    expect(out.err.message).toBe(
      'Failed query: insert into "subscribers" ("email", "token_hash") values ($1, $2)\nparams: [redacted]',
    );
    expect(out.err.code).toBe('23505');
    expect(out.err.params).toBeUndefined();
  });
});

describe('saneRequestId', () => {
  it('keeps a short token and refuses the rest', () => {
    expect(saneRequestId('abc-DEF_1.2')).toBe('abc-DEF_1.2');
    expect(saneRequestId('x'.repeat(64))).toBe('x'.repeat(64));
    expect(saneRequestId('x'.repeat(65))).toBeUndefined();
    expect(saneRequestId('a b')).toBeUndefined();
    expect(saneRequestId('a\nb')).toBeUndefined();
    expect(saneRequestId('')).toBeUndefined();
    expect(saneRequestId(null)).toBeUndefined();
  });
});

describe('log', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one JSON line, info on stdout and errors on stderr, with the request id', () => {
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    log.info('hello', { n: 1, token: 'tok' });
    withRequestId('req-1', () => log.error('boom', { err: new Error('bad') }));
    expect(out).toHaveLength(1);
    expect(err).toHaveLength(1);
    const a = JSON.parse(out[0]);
    expect(out[0].endsWith('\n')).toBe(true);
    expect(a).toMatchObject({ level: 'info', msg: 'hello', n: 1, token: '[redacted]' });
    expect(new Date(a.time).toISOString()).toBe(a.time);
    expect(a.requestId).toBeUndefined();
    const b = JSON.parse(err[0]);
    expect(b).toMatchObject({ level: 'error', msg: 'boom', requestId: 'req-1', err: { message: 'bad' } });
  });

  it('drops debug lines at the default level', () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    log.debug('quiet');
    expect(out).toHaveLength(0);
  });
});
