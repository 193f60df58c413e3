import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../src/server/errors.ts';
import { parseInput, pathsWithUnstorableText } from '../../src/server/services.ts';

describe('Text PostgreSQL cannot store', () => {
  it('finds them in values and keys, at any depth, with the path to each', () => {
    expect(pathsWithUnstorableText({ a: 'ok', b: 'x\u0000', c: [{ d: '\u0000' }], ['k\u0000']: 1 })).toEqual([
      ['b'],
      ['c', 0, 'd'],
      ['k\u0000'],
    ]);
    expect(pathsWithUnstorableText({ a: 'fine 😀', n: 1, d: new Date(0), z: null })).toEqual([]);
    expect(pathsWithUnstorableText({ lone: '\ud800', low: ['x', '\udfff x'] })).toEqual([['lone'], ['low', 1]]);
  });

  it('parseInput refuses them with a message named after the field, before the schema runs', () => {
    const schema = z.object({ displayName: z.string() });
    let err: unknown;
    try {
      parseInput(schema, { displayName: 'a\u0000b' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).fields).toEqual({ display_name: expect.stringMatching(/cannot be stored/) });
    expect(parseInput(schema, { displayName: 'ab' })).toEqual({ displayName: 'ab' });
  });
});
