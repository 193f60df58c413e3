import { createHash, randomBytes, randomInt } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A Statuspage-style id: 12 random lowercase letters and digits (62 bits). */
export function newId(): string {
  let id = '';
  for (let i = 0; i < 12; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** A secret for a cookie, link or API token: 32 random bytes, base64url. */
export function newSecret(prefix = ''): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** How secrets are stored: SHA-256, hex. Secrets have 256 bits of entropy, so no salt or slow hash is needed. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Whether a string looks like one of our ids; lets routes answer 404 without a query. */
export function isId(value: string | undefined): value is string {
  return typeof value === 'string' && /^[a-z0-9]{1,64}$/.test(value);
}
