/**
 * Sending one email. With a Resend API key, through the resend SDK; without one, into the
 * local mail sink: each message becomes an RFC 5322 `.eml` file under `<dataDir>/mail/`,
 * named so that `ls` lists them oldest first. A message is never dropped silently: a
 * failure throws (MailerError for the provider's refusals).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Resend } from 'resend';
import { rateLimitFromHeaders, type RateLimitInfo } from './pacer.ts';

export type MailMessage = {
  /** The sender; the mailer's default (EMAIL_FROM) when absent. */
  from?: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post`. */
  headers?: Record<string, string>;
};

export type Mailer = {
  /** Sends one message; `id` is the provider's id, or the `.eml` file name in the sink. */
  send(message: MailMessage): Promise<{ id: string }>;
  /**
   * Sends up to 100 messages in one request. The same `idempotencyKey` with the same messages
   * never sends twice (Resend keeps keys 24 h). Messages the provider refused one by one
   * (Resend's permissive batch validation) do not fail the others.
   */
  sendBatch(messages: readonly MailMessage[], options: { idempotencyKey: string }): Promise<BatchResult>;
  /** 'resend' or 'sink', for logs and the start banner. */
  readonly kind: 'resend' | 'sink';
};

export type BatchResult = {
  /** In the messages' order: the provider's id, or null for a message it refused (see `errors`). */
  ids: (string | null)[];
  /** The messages refused one by one, by index in the batch, with the provider's reason. */
  errors: { index: number; message: string }[];
  /** What the answer said of the provider's rate limit, if anything. */
  rateLimit: RateLimitInfo | null;
};

export type MailerOptions = { apiKey?: string; dataDir: string; from: string };

/** Resend's limit of emails per batch request; the SDK does not enforce it. */
export const MAX_BATCH = 100;

/**
 * The provider refused or failed: `code` is Resend's error name, `statusCode` its HTTP status
 * (null: the request never got an answer), `retryAfterSeconds` its `retry-after` header.
 */
export class MailerError extends Error {
  override readonly name = 'MailerError';
  readonly code: string;
  readonly statusCode: number | null;
  readonly retryAfterSeconds: number | null;
  readonly rateLimit: RateLimitInfo | null;
  constructor(
    message: string,
    code: string,
    statusCode: number | null,
    retryAfterSeconds: number | null = null,
    rateLimit: RateLimitInfo | null = null,
  ) {
    super(message);
    this.code = code;
    this.statusCode = statusCode;
    this.retryAfterSeconds = retryAfterSeconds;
    this.rateLimit = rateLimit;
  }
}

export function createMailer(options: MailerOptions): Mailer {
  return options.apiKey ? resendMailer(options.apiKey, options.from) : sinkMailer(options.dataDir, options.from);
}

function resendMailer(apiKey: string, from: string): Mailer {
  const resend = new Resend(apiKey);
  return {
    kind: 'resend',
    async send(message) {
      checkHeaders(message.headers);
      // The SDK answers { data, error } and does not throw on a refusal.
      const { data, error } = await resend.emails.send({
        from: message.from ?? from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
      });
      if (error) throw new MailerError(`Resend refused the email: ${error.message}`, error.name, error.statusCode);
      if (!data?.id) throw new MailerError('Resend answered without an email id', 'application_error', null);
      return { id: data.id };
    },
    async sendBatch(messages, { idempotencyKey }) {
      if (messages.length > MAX_BATCH) throw new Error(`At most ${MAX_BATCH} emails per batch`);
      for (const m of messages) checkHeaders(m.headers);
      // Permissive: one bad address does not fail the other 99 (Resend lists it in `errors`).
      const { data, error, headers } = await resend.batch.send(
        messages.map((m) => ({
          from: m.from ?? from,
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          headers: m.headers,
        })),
        { idempotencyKey, batchValidation: 'permissive' },
      );
      const { rateLimit, retryAfterSeconds } = rateLimitFromHeaders(headers);
      if (error) {
        throw new MailerError(
          `Resend refused the batch: ${error.message}`,
          error.name,
          error.statusCode,
          retryAfterSeconds,
          rateLimit,
        );
      }
      return { ...matchIds(messages.length, data?.data ?? [], data?.errors ?? []), rateLimit };
    },
  };
}

function sinkMailer(dataDir: string, from: string): Mailer {
  const dir = path.join(dataDir, 'mail');
  // Files are written here first, then renamed into the sink (same file system): a reader
  // never sees half a message, and a full disk leaves nothing behind.
  const staging = path.join(dir, '.staging');
  return {
    kind: 'sink',
    async send(message) {
      const [name] = await writeAll([buildEml(message, message.from ?? from)]);
      return { id: name };
    },
    async sendBatch(messages, { idempotencyKey }) {
      if (messages.length > MAX_BATCH) throw new Error(`At most ${MAX_BATCH} emails per batch`);
      // Like Resend, a key already sent answers the same ids and writes nothing new.
      const record = path.join(dir, '.batches', `${createHash('sha256').update(idempotencyKey).digest('hex')}.json`);
      try {
        return { ids: JSON.parse(await readFile(record, 'utf8')) as string[], errors: [], rateLimit: null };
      } catch {
        // not sent yet
      }
      await mkdir(path.dirname(record), { recursive: true });
      const ids = await writeAll(
        messages.map((m) => buildEml(m, m.from ?? from)),
        (names) => ({ path: record, text: JSON.stringify(names) }),
      );
      return { ids, errors: [], rateLimit: null };
    },
  };

  /**
   * Writes every message (and the batch's record) or none: all are staged first, so a full
   * disk fails the whole batch with nothing in the sink, and its retry writes each message
   * once. Returns the file names.
   */
  async function writeAll(
    emls: string[],
    record?: (names: string[]) => { path: string; text: string },
  ): Promise<string[]> {
    await mkdir(staging, { recursive: true });
    const names = emls.map(() => sinkFileName(new Date()));
    const staged: string[] = [];
    const stage = async (name: string, text: string) => {
      const file = path.join(staging, name);
      staged.push(file);
      // 'wx': never overwrite another message, whatever happens to the names.
      await writeFile(file, text, { flag: 'wx' });
    };
    const batch = record?.(names);
    try {
      for (let i = 0; i < emls.length; i++) await stage(names[i], emls[i]);
      if (batch) await stage(`${path.basename(batch.path)}.${names[0]}`, batch.text);
    } catch (err) {
      await Promise.all(staged.map((file) => rm(file, { force: true })));
      throw sinkError(dir, err);
    }
    for (let i = 0; i < emls.length; i++) await rename(staged[i], path.join(dir, names[i]));
    if (batch) await rename(staged[emls.length], batch.path);
    return names;
  }
}

/** A full disk is a MailerError the worker retries without giving up (see worker.ts). */
function sinkError(dir: string, err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return err;
  return new MailerError(
    `The mail sink in ${dir} is out of disk space; the emails wait until there is room (${(err as Error).message})`,
    'disk_full',
    null,
    SINK_FULL_RETRY_S,
  );
}

/** How long a batch waits when the mail sink's disk is full. */
export const SINK_FULL_RETRY_S = 30;

/** The mail sink's disk is full: nothing was written, and the emails wait for room rather than fail. */
export function isSinkFull(err: unknown): err is MailerError {
  return err instanceof MailerError && err.code === 'disk_full';
}

/**
 * Resend's permissive answer: `data` holds the ids of the accepted emails in order, `errors`
 * the refused ones by index. Spread the ids over the indexes not refused; an answer that does
 * not add up is an error (the batch is retried with the same key, which is safe).
 */
export function matchIds(
  count: number,
  data: readonly { id: string }[],
  errors: readonly { index: number; message: string }[],
): { ids: (string | null)[]; errors: { index: number; message: string }[] } {
  const refused = new Map(errors.map((e) => [e.index, e.message]));
  const valid = [...refused.keys()].every((i) => Number.isInteger(i) && i >= 0 && i < count);
  if (!valid || data.length + refused.size !== count) {
    throw new MailerError('Resend answered without an id or an error for every email', 'application_error', null);
  }
  const ids: (string | null)[] = [];
  let next = 0;
  for (let i = 0; i < count; i++) ids.push(refused.has(i) ? null : data[next++].id);
  return {
    ids,
    errors: [...refused].map(([index, message]) => ({ index, message })).sort((a, b) => a.index - b.index),
  };
}

let sequence = 0;

/** `20261125T144325123Z-000001-1a2b3c4d.eml`: time, a per-process counter, then randomness. */
export function sinkFileName(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '');
  sequence = (sequence + 1) % 1_000_000;
  return `${stamp}-${String(sequence).padStart(6, '0')}-${randomBytes(4).toString('hex')}.eml`;
}

/** The whole message as RFC 5322 text with CRLF line ends: multipart/alternative, text then HTML. */
export function buildEml(message: MailMessage, from: string, now = new Date()): string {
  checkHeaders(message.headers);
  for (const value of [message.to, message.subject, from]) checkHeaderValue(value);
  const boundary = `=_vigie_${randomBytes(12).toString('hex')}`;
  const domain = from.match(/@([^>\s]+)>?\s*$/)?.[1] ?? 'localhost';
  const lines = [
    `From: ${encodeAddress(from)}`,
    `To: ${encodeAddress(message.to)}`,
    `Subject: ${encodeWord(message.subject)}`,
    `Date: ${now.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomBytes(16).toString('hex')}@${domain}>`,
    'MIME-Version: 1.0',
    ...Object.entries(message.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...part('text/plain', message.text),
    `--${boundary}`,
    ...part('text/html', message.html),
    `--${boundary}--`,
    '',
  ];
  return lines.join('\r\n');
}

function part(type: string, body: string): string[] {
  return [
    `Content-Type: ${type}; charset=utf-8`,
    'Content-Transfer-Encoding: base64',
    '',
    ...(Buffer.from(body.replace(/\r?\n/g, '\r\n'), 'utf8')
      .toString('base64')
      .match(/.{1,76}/g) ?? ['']),
  ];
}

/** RFC 2047: a header text with anything beyond printable ASCII becomes `=?UTF-8?B?…?=` words. */
export function encodeWord(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  // Encoded words are at most 75 characters: split on whole characters, ~45 bytes each.
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** `Zoé <z@example.com>` → the display name encoded, the address as it is. */
function encodeAddress(address: string): string {
  const m = address.match(/^\s*(.*?)\s*<([^>]+)>\s*$/);
  if (!m || !m[1]) return address.trim();
  const name = m[1].replace(/^"|"$/g, '');
  const shown = /^[\x20-\x7e]*$/.test(name) ? `"${name.replace(/["\\]/g, '\\$&')}"` : encodeWord(name);
  return `${shown} <${m[2]}>`;
}

function checkHeaders(headers: Record<string, string> | undefined): void {
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`Invalid email header name: ${name}`);
    checkHeaderValue(value);
  }
}

/** A line break in a header value would let it add headers of its own. */
function checkHeaderValue(value: string): void {
  if (/[\r\n]/.test(value)) throw new Error('An email header value must not contain a line break');
}
