/**
 * Encryption at rest of the secrets Vigie must use in clear (a webhook's HMAC key, the
 * page's signing secret for manage links): AES-256-GCM with a random 96-bit IV, stored as
 * the envelope `v1:<iv>:<tag>:<ciphertext>` (base64url). The additional data binds each
 * envelope to where it lives (`webhook:<id>`, `settings:signing_secret`), so one row's
 * ciphertext copied into another does not decrypt. Passwords, sessions, API tokens and
 * subscriber tokens are never reversible: they are hashed (argon2id or SHA-256) elsewhere.
 *
 * The key: VIGIE_SECRET_KEY (32 bytes, hex or base64); unset, the file
 * `VIGIE_DATA_DIR/secret.key`; with embedded PGlite that file is made (0600) on first use.
 * With DATABASE_URL and neither, there is no key and Vigie refuses to start: a generated
 * file on a container's throwaway disk, or a different one on each instance, would make the
 * secrets in the shared database unreadable after the next restart.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, parseSecretKey } from '../config.ts';

const VERSION = 'v1';
export const SECRET_KEY_FILE = 'secret.key';

/** A sealed secret that this key cannot open (another key, or a damaged envelope). */
export class SecretUnreadableError extends Error {
  constructor(context: string, options?: { cause?: unknown }) {
    super(
      `The secret ${context} cannot be decrypted with this server's key: VIGIE_SECRET_KEY (or VIGIE_DATA_DIR/${SECRET_KEY_FILE}) is not the one it was encrypted with, or the stored value was altered. Restore the original key, or replace the secret.`,
      options,
    );
    this.name = 'SecretUnreadableError';
  }
}

/** The key Vigie cannot find (DATABASE_URL without VIGIE_SECRET_KEY or a key file). */
export class MissingSecretKeyError extends Error {
  constructor(file: string) {
    super(
      `VIGIE_SECRET_KEY is not set. With DATABASE_URL, Vigie needs a key to encrypt webhook secrets and its signing secret, the same on every instance and kept across restarts. ` +
        `Generate one with \`openssl rand -base64 32\` and set VIGIE_SECRET_KEY (or put it in ${file}).`,
    );
    this.name = 'MissingSecretKeyError';
  }
}

/** Whether a stored value is an envelope (rather than a legacy plaintext secret). */
export function isSealed(stored: string): boolean {
  return stored.startsWith(`${VERSION}:`);
}

/** Encrypts `plain` for the place `context` names. */
export function sealSecret(plain: string, key: Buffer, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join(':');
}

/**
 * Decrypts an envelope; a legacy plaintext value (written before encryption, not yet sealed
 * by the start-up pass) comes back as it is. Throws SecretUnreadableError otherwise.
 */
export function openSecret(stored: string, key: Buffer, context: string): string {
  if (!isSealed(stored)) return stored;
  const parts = stored.split(':');
  if (parts.length !== 4) throw new SecretUnreadableError(context);
  const [, iv, tag, ciphertext] = parts.map((p) => Buffer.from(p, 'base64url'));
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch (err) {
    throw new SecretUnreadableError(context, { cause: err });
  }
}

/**
 * The key for this configuration (see the top of the file). Throws MissingSecretKeyError
 * with DATABASE_URL and no key; reads or makes the key file otherwise.
 */
export function resolveSecretKey(options: {
  secretKey: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
}): Buffer {
  if (options.secretKey) {
    const key = parseSecretKey(options.secretKey);
    if (!key) throw new Error('VIGIE_SECRET_KEY: must be 32 bytes, as 64 hex characters or base64');
    return key;
  }
  const file = path.join(options.dataDir, SECRET_KEY_FILE);
  if (existsSync(file)) {
    const key = parseSecretKey(readFileSync(file, 'utf8'));
    if (!key) throw new Error(`${file} must hold a 32-byte key, as 64 hex characters or base64`);
    return key;
  }
  if (options.databaseUrl) throw new MissingSecretKeyError(file);
  mkdirSync(options.dataDir, { recursive: true });
  // `wx`: two processes starting at once do not overwrite each other's key.
  try {
    writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return resolveSecretKey(options);
}

let cached: { id: string; key: Buffer } | undefined;

/** This process's key, from the environment (cached while the environment says the same). */
export function secretKey(): Buffer {
  const config = loadConfig();
  const id = `${config.secretKey ?? ''}\n${config.databaseUrl ? 'pg' : ''}\n${config.dataDir}`;
  if (cached?.id !== id) cached = { id, key: resolveSecretKey(config) };
  return cached.key;
}
