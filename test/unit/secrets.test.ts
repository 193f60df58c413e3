import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSecretKey } from '../../src/config.ts';
import {
  isSealed,
  MissingSecretKeyError,
  openSecret,
  resolveSecretKey,
  sealSecret,
  SecretUnreadableError,
} from '../../src/server/secrets.ts';

const key = Buffer.alloc(32, 1);
const other = Buffer.alloc(32, 2);

describe('sealSecret / openSecret', () => {
  it('round-trips, with a fresh IV each time, and never holds the plaintext', () => {
    const a = sealSecret('the secret value', key, 'webhook:w1');
    const b = sealSecret('the secret value', key, 'webhook:w1');
    expect(a).toMatch(/^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('secret');
    expect(isSealed(a)).toBe(true);
    expect(openSecret(a, key, 'webhook:w1')).toBe('the secret value');
    expect(openSecret(b, key, 'webhook:w1')).toBe('the secret value');
  });

  it('detects tampering with the ciphertext, the tag or the IV', () => {
    const sealed = sealSecret('abcdefghijklmnop', key, 'ctx');
    const parts = sealed.split(':');
    for (const i of [1, 2, 3]) {
      const bytes = Buffer.from(parts[i], 'base64url');
      bytes[0] ^= 1;
      const altered = parts.map((p, j) => (j === i ? bytes.toString('base64url') : p)).join(':');
      expect(() => openSecret(altered, key, 'ctx')).toThrow(SecretUnreadableError);
    }
    expect(() => openSecret('v1:garbage', key, 'ctx')).toThrow(SecretUnreadableError);
  });

  it('refuses another key, and another place (a ciphertext moved to another row)', () => {
    const sealed = sealSecret('s3cr3t', key, 'webhook:a');
    expect(() => openSecret(sealed, other, 'webhook:a')).toThrow(/cannot be decrypted with this server's key/);
    expect(() => openSecret(sealed, key, 'webhook:b')).toThrow(SecretUnreadableError);
  });

  it('reads a legacy plaintext value as it is', () => {
    expect(isSealed('dGhpcyBpcyBub3Qgc2VhbGVk')).toBe(false);
    expect(openSecret('dGhpcyBpcyBub3Qgc2VhbGVk', key, 'x')).toBe('dGhpcyBpcyBub3Qgc2VhbGVk');
  });
});

describe('parseSecretKey', () => {
  it('takes 32 bytes as hex, base64 or base64url, and nothing else', () => {
    const raw = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 8 + 3));
    expect(parseSecretKey(raw.toString('hex'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64'))).toEqual(raw);
    expect(parseSecretKey(raw.toString('base64url'))).toEqual(raw);
    expect(parseSecretKey(`${raw.toString('base64')}\n`)).toEqual(raw);
    expect(parseSecretKey(Buffer.alloc(16).toString('base64'))).toBeNull();
    expect(parseSecretKey(Buffer.alloc(31).toString('hex'))).toBeNull();
    expect(parseSecretKey('correct horse battery staple')).toBeNull();
  });
});

describe('resolveSecretKey', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'vigie-key-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('takes VIGIE_SECRET_KEY first', () => {
    const d = dir();
    const k = resolveSecretKey({ secretKey: key.toString('hex'), databaseUrl: 'postgres://x/y', dataDir: d });
    expect(k).toEqual(key);
  });

  it('embedded: makes a 0600 key file once and reads it back', () => {
    const d = dir();
    const first = resolveSecretKey({ secretKey: undefined, databaseUrl: undefined, dataDir: d });
    const file = path.join(d, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseSecretKey(readFileSync(file, 'utf8'))).toEqual(first);
    expect(resolveSecretKey({ secretKey: undefined, databaseUrl: undefined, dataDir: d })).toEqual(first);
  });

  it('with DATABASE_URL: refuses without a key, by name, and takes an existing key file', () => {
    const d = dir();
    const pg = { secretKey: undefined, databaseUrl: 'postgres://x/y', dataDir: d };
    expect(() => resolveSecretKey(pg)).toThrow(MissingSecretKeyError);
    expect(() => resolveSecretKey(pg)).toThrow(/VIGIE_SECRET_KEY is not set/);
    writeFileSync(path.join(d, 'secret.key'), other.toString('base64'));
    expect(resolveSecretKey(pg)).toEqual(other);
  });

  it('refuses a key file that holds no key', () => {
    const d = dir();
    writeFileSync(path.join(d, 'secret.key'), 'nope');
    expect(() => resolveSecretKey({ secretKey: undefined, databaseUrl: undefined, dataDir: d })).toThrow(
      /must hold a 32-byte key/,
    );
  });
});
