/**
 * Vigie's logs: one JSON object a line, `{"time","level","msg",...fields}`, info and debug on
 * stdout, warn and error on stderr. VIGIE_LOG_LEVEL (debug, info, warn, error; default info)
 * drops the less important lines. A line written while an HTTP request is handled carries
 * its `requestId` (AsyncLocalStorage, set by the middleware).
 *
 * Redaction, so that no secret reaches a log: a field whose name says password, token,
 * secret, authorization, cookie, api key or signature is written as "[redacted]", at any
 * depth; in every string, the value of a query parameter named like those (`?token=…`) is
 * cut, so a logged URL never carries a confirm or manage link's token; an error keeps its
 * name, message, stack, code and cause only, and a failed query's parameters are cut.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_NAME = /pass(word|wd)?$|password|token|secret|authorization|cookie|api[-_]?key|signature|credential/i;
const SECRET_PARAM =
  /([?&;](?:[^=&\s#"']*(?:token|secret|password|passwd|key|signature|code|auth)[^=&\s#"']*)=)[^&\s#"']*/gi;

type RequestContext = { requestId: string };
const requests = new AsyncLocalStorage<RequestContext>();

let threshold: number | undefined;

function minimumRank(): number {
  if (threshold === undefined) {
    const level = (process.env.VIGIE_LOG_LEVEL ?? '').trim().toLowerCase() as LogLevel;
    threshold = RANK[level] ?? RANK.info;
  }
  return threshold;
}

/** Whether a line of this level would be written (to skip building costly fields). */
export function logs(level: LogLevel): boolean {
  return RANK[level] >= minimumRank();
}

/** Runs `fn` with `requestId` attached to every line it logs. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requests.run({ requestId }, fn);
}

/** The id of the request being handled, if any. */
export function currentRequestId(): string | undefined {
  return requests.getStore()?.requestId;
}

/** An incoming X-Request-Id worth keeping (a short token), else undefined. */
export function saneRequestId(value: string | null | undefined): string | undefined {
  return value && /^[A-Za-z0-9._-]{1,64}$/.test(value) ? value : undefined;
}

/** Cuts the values of token-like query parameters out of a string (a URL, a path, a message). */
export function redactText(text: string): string {
  return text.includes('=') ? text.replace(SECRET_PARAM, '$1[redacted]') : text;
}

/**
 * An error's text without the values of a failed query: drizzle's message lists them
 * (`params: …`), and they may be an email address, a token's hash or a sealed secret.
 */
function errorText(text: string): string {
  return redactText(text.replace(/^params: .*$/gm, 'params: [redacted]'));
}

/** A copy of `value` fit for a log: secrets named by their field cut, errors made plain. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return typeof value === 'bigint' ? String(value) : value;
  if (depth > 6) return '[deep]';
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: errorText(value.message) };
    if (value.stack) out.stack = errorText(value.stack);
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof URL) return redactText(value.href);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_NAME.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

function write(level: LogLevel, msg: string, fields?: LogFields): void {
  if (RANK[level] < minimumRank()) return;
  const line: LogFields = { time: new Date().toISOString(), level, msg: redactText(msg) };
  const requestId = currentRequestId();
  if (requestId) line.requestId = requestId;
  if (fields) Object.assign(line, redact(fields) as LogFields);
  let text: string;
  try {
    text = JSON.stringify(line);
  } catch {
    text = JSON.stringify({ time: line.time, level, msg: line.msg, requestId, note: 'fields not serializable' });
  }
  (RANK[level] >= RANK.warn ? process.stderr : process.stdout).write(`${text}\n`);
}

/** The logger: `log.error('outbox prune failed', { err })`. */
export const log = {
  debug: (msg: string, fields?: LogFields) => write('debug', msg, fields),
  info: (msg: string, fields?: LogFields) => write('info', msg, fields),
  warn: (msg: string, fields?: LogFields) => write('warn', msg, fields),
  error: (msg: string, fields?: LogFields) => write('error', msg, fields),
};
