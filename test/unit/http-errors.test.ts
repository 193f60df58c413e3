import { describe, expect, it } from 'vitest';
import { NotFoundError, TooManyRequestsError, ValidationError } from '../../src/server/errors.ts';
import { errorToJson, isDatabaseUnavailable, isTransientConflict } from '../../src/server/http.ts';

/** A PostgreSQL error as drizzle hands it on: its own error, with the driver's as the cause. */
function wrapped(code: string): Error {
  return new Error('Failed query: insert into …', { cause: Object.assign(new Error('driver'), { code }) });
}

async function answer(err: unknown) {
  const res = errorToJson(err);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as unknown };
}

describe('errorToJson: a thrown error becomes a status a client can act on', () => {
  it('keeps the documented shapes of validation, not-found and rate-limit errors', async () => {
    expect(await answer(new ValidationError('Check the fields.', { name: 'Required.' }))).toEqual({
      status: 422,
      retryAfter: null,
      body: { error: { message: 'Check the fields.', fields: { name: 'Required.' } } },
    });
    expect((await answer(new NotFoundError('No such incident.'))).status).toBe(404);
    const limited = await answer(new TooManyRequestsError(42, 'Slow down.'));
    expect([limited.status, limited.retryAfter]).toEqual([429, '42']);
  });

  it('says 503 with a retry for an unreachable database', async () => {
    const res = await answer(wrapped('ECONNREFUSED'));
    expect([res.status, res.retryAfter]).toEqual([503, '5']);
  });

  it('says 503 "not saved, send it again" for a deadlock or a serialization failure, not 500', async () => {
    for (const code of ['40P01', '40001']) {
      expect(isTransientConflict(wrapped(code))).toBe(true);
      expect(isDatabaseUnavailable(wrapped(code))).toBe(false);
      const res = await answer(wrapped(code));
      expect([res.status, res.retryAfter], code).toEqual([503, '1']);
      expect(JSON.stringify(res.body)).toContain('not saved');
    }
  });

  it('keeps other database errors and bugs at a 500 without details', async () => {
    for (const err of [wrapped('23505'), new TypeError('x is undefined')]) {
      expect(isTransientConflict(err)).toBe(false);
      expect(await answer(err)).toEqual({
        status: 500,
        retryAfter: null,
        body: { error: { message: 'Something went wrong on our side.' } },
      });
    }
  });
});
