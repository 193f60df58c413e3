/** The management API's request helpers, without a server: body reading, field names, paging. */
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  camelCase,
  fromApi,
  MAX_BODY_BYTES,
  pagination,
  PayloadTooLargeError,
  readJsonBody,
} from '../../src/server/api/v1.ts';
import { ValidationError } from '../../src/server/errors.ts';
import { snakeCase } from '../../src/server/services.ts';

const post = (body: BodyInit | null, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  new Request('http://x/api/v1/components', { method: 'POST', body, headers });

describe('field names', () => {
  it('turn snake_case into camelCase and back, leaving ids and map keys alone', () => {
    expect(camelCase('scheduled_until')).toBe('scheduledUntil');
    expect(snakeCase('scheduledUntil')).toBe('scheduled_until');
    expect(snakeCase('abc123')).toBe('abc123');
    expect(snakeCase('BAD KEY')).toBe('BAD KEY');
    expect(
      fromApi({
        group_id: 'g',
        components: { abc_1: 'major_outage' },
        impact_factors: { social_media: true, data_loss: false },
      }),
    ).toEqual({
      groupId: 'g',
      components: { abc_1: 'major_outage' },
      impactFactors: { socialMedia: true, dataLoss: false },
    });
  });
});

describe('readJsonBody', () => {
  it('reads a JSON object, with or without a charset or a +json type', async () => {
    expect(await readJsonBody(post('{"a":1}'))).toEqual({ a: 1 });
    expect(await readJsonBody(post('{"a":1}', { 'content-type': 'application/json; charset=utf-8' }))).toEqual({
      a: 1,
    });
    expect(await readJsonBody(post('{"a":1}', { 'content-type': 'application/merge-patch+json' }))).toEqual({ a: 1 });
  });

  it('400 for anything but a JSON object', async () => {
    for (const [body, type] of [
      ['{"a":', 'application/json'],
      ['[]', 'application/json'],
      ['null', 'application/json'],
      ['', 'application/json'],
      ['{"a":1}', 'text/plain'],
      ['{"a":1}', ''],
    ]) {
      await expect(
        readJsonBody(post(body, type ? { 'content-type': type } : {})),
        `${body} ${type}`,
      ).rejects.toBeInstanceOf(BadRequestError);
    }
    await expect(readJsonBody(post(new Uint8Array([0x7b, 0xff, 0x7d])))).rejects.toThrow(/UTF-8/);
  });

  it('413 past 64 KiB, by Content-Length or by counting', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(MAX_BODY_BYTES) });
    await expect(readJsonBody(post(big))).rejects.toBeInstanceOf(PayloadTooLargeError);
    const lying = post(big, { 'content-type': 'application/json', 'content-length': '10' });
    await expect(readJsonBody(lying)).rejects.toBeInstanceOf(PayloadTooLargeError);
    const exact = JSON.stringify({ a: 'x'.repeat(MAX_BODY_BYTES - 8) });
    expect(exact.length).toBe(MAX_BODY_BYTES);
    expect(await readJsonBody(post(exact))).toHaveProperty('a');
  });
});

describe('pagination', () => {
  it('reads page and per_page, 422 outside the range', () => {
    expect(pagination(new URL('http://x/?page=2&per_page=10'))).toEqual({ page: 2, perPage: 10 });
    expect(pagination(new URL('http://x/'))).toEqual({ page: 1, perPage: 50 });
    for (const q of ['page=0', 'page=x', 'per_page=101', 'per_page=1.5']) {
      expect(() => pagination(new URL(`http://x/?${q}`)), q).toThrow(ValidationError);
    }
  });
});
