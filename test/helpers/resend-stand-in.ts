/**
 * A local stand-in for Resend's sending API, for tests and benchmarks only: POST /emails and
 * POST /emails/batch with Resend's JSON shapes. It
 * - applies idempotency keys as Resend does (same key and body: the same answer and no new
 *   send; same key, other body: 409);
 * - honours `x-batch-validation: permissive`: refused emails come back in `errors` by index,
 *   the others are accepted (strict, the default: one bad email fails the batch with 422);
 * - refuses addresses listed in `rejectAddresses` as invalid recipients;
 * - can enforce a rate limit (a token bucket of `rateLimit` requests a second, burst of the
 *   same size), answering 429 with `retry-after` and sending `ratelimit-limit`,
 *   `ratelimit-remaining` and `ratelimit-reset` on every answer, as Resend does;
 * - can answer the next requests with 429 (and `retry-after`) or 500, or slowly, or every
 *   request while an outage function says so (a test's own clock decides when it ends);
 * - counts what it accepted.
 * The real SDK reaches it through `RESEND_BASE_URL`, read when a `Resend` is constructed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Email = { from?: string; to?: string | string[]; subject?: string; text?: string; html?: string };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };
type Outage = { status: 429 | 500; retryAfter?: number };

export type StandInRequest = {
  path: string;
  idempotencyKey: string | null;
  emails: number;
  status: number;
  /** When the request arrived (ms since the epoch). */
  at: number;
};

export type StandInOptions = {
  /** Requests a second before 429s (token bucket, burst = the same number). Unlimited by default. */
  rateLimit?: number;
  /** Whether answers carry the `ratelimit-*` headers (default true; a 429 always has `retry-after`). */
  rateLimitHeaders?: boolean;
  /** Recipients refused as invalid addresses (a 422 in strict mode, an `errors` entry in permissive). */
  rejectAddresses?: Iterable<string>;
};

export type ResendStandIn = {
  url: string;
  /** Every request, in order, with the answer's status. */
  requests: StandInRequest[];
  /** Accepted emails per recipient (idempotent replays not counted). */
  accepted: Map<string, number>;
  /** The next `count` requests answer `status` (429 carries `retry-after: retryAfter`). */
  fail(count: number, status: 429 | 500, retryAfter?: number): void;
  /**
   * Until cleared (null), asks `outage` before each request: a status answers it (429 with
   * `retry-after`), null lets it through. Called once per request, in arrival order.
   */
  outage(outage: ((request: { path: string; idempotencyKey: string | null }) => Outage | null) | null): void;
  /** The next `count` requests are answered after `ms` (normally otherwise). */
  slow(count: number, ms: number): void;
  /** Requests refused by the rate limit. */
  limited(): number;
  /** From now on, refuse these recipients as invalid addresses. */
  reject(...addresses: string[]): void;
  /** Recipients accepted more than once. */
  duplicates(): string[];
  close(): Promise<void>;
};

const INVALID_ADDRESS =
  'Invalid `to` field. Please use our testing email address instead of domains like `example.com`.';

export async function startResendStandIn(options: StandInOptions = {}): Promise<ResendStandIn> {
  const requests: StandInRequest[] = [];
  const accepted = new Map<string, number>();
  const keys = new Map<string, { hash: string; answer: Answer }>();
  const failures: { status: number; retryAfter?: number }[] = [];
  const delays: number[] = [];
  let outage: Parameters<ResendStandIn['outage']>[0] = null;
  const rejected = new Set(options.rejectAddresses ?? []);
  const limit = options.rateLimit;
  let tokens = limit ?? 0;
  let refilledAt = Date.now();
  let limitedCount = 0;

  /** Takes a token if there is one; the headers describe the bucket afterwards. */
  function rateCheck(): { ok: boolean; headers: Record<string, string> } {
    if (!limit) return { ok: true, headers: {} };
    const now = Date.now();
    tokens = Math.min(limit, tokens + ((now - refilledAt) / 1000) * limit);
    refilledAt = now;
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    const untilToken = Math.max(0, (1 - tokens) / limit);
    const retryAfter: Record<string, string> = ok ? {} : { 'retry-after': String(Math.max(1, Math.ceil(untilToken))) };
    if (options.rateLimitHeaders === false) return { ok, headers: retryAfter };
    return {
      ok,
      headers: {
        'ratelimit-limit': String(limit),
        'ratelimit-remaining': String(Math.floor(tokens)),
        'ratelimit-reset': String(Math.ceil(untilToken)),
        ...retryAfter,
      },
    };
  }

  const error = (status: number, name: string, message: string, headers?: Record<string, string>): Answer => ({
    status,
    body: { statusCode: status, name, message },
    headers,
  });

  function accept(emails: Email[]): string[] {
    return emails.map((e) => {
      for (const to of [e.to ?? []].flat()) accepted.set(to, (accepted.get(to) ?? 0) + 1);
      return randomUUID();
    });
  }

  /** Why Resend would refuse this email, or null. */
  function problem(e: Email): string | null {
    if (!e.from || !e.to || !e.subject || !(e.text || e.html)) return 'Missing `from`, `to`, `subject` or content';
    if ([e.to].flat().some((to) => rejected.has(to))) return INVALID_ADDRESS;
    return null;
  }

  function validate(emails: Email[]): Answer | null {
    for (const e of emails) {
      const p = problem(e);
      if (p) return error(422, 'validation_error', p);
    }
    return null;
  }

  function batch(emails: Email[], permissive: boolean): Answer {
    if (!permissive) return validate(emails) ?? { status: 200, body: { data: accept(emails).map((id) => ({ id })) } };
    const errors = emails.flatMap((e, index) => {
      const message = problem(e);
      return message ? [{ index, message }] : [];
    });
    const good = emails.filter((_, i) => !errors.some((e) => e.index === i));
    return { status: 200, body: { data: accept(good).map((id) => ({ id })), errors } };
  }

  function handle(path: string, raw: string, key: string | null, permissive: boolean): Answer {
    const failure = failures.shift() ?? outage?.({ path, idempotencyKey: key }) ?? undefined;
    if (failure) {
      return failure.status === 429
        ? error(429, 'rate_limit_exceeded', 'Too many requests', { 'retry-after': String(failure.retryAfter ?? 1) })
        : error(500, 'internal_server_error', 'Something went wrong');
    }
    const hash = createHash('sha256').update(`${path}\n${raw}`).digest('hex');
    if (key) {
      const seen = keys.get(key);
      if (seen) {
        return seen.hash === hash
          ? seen.answer
          : error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload');
      }
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return error(400, 'validation_error', 'Invalid JSON');
    }
    let answer: Answer;
    if (path === '/emails/batch') {
      if (!Array.isArray(body)) answer = error(422, 'validation_error', 'A batch is an array of emails');
      else if (body.length > 100) answer = error(422, 'validation_error', 'At most 100 emails per batch');
      else answer = batch(body as Email[], permissive);
    } else if (path === '/emails') {
      answer = validate([body as Email]) ?? { status: 200, body: { id: accept([body as Email])[0] } };
    } else {
      answer = error(404, 'not_found', 'Not found');
    }
    if (key && answer.status === 200) keys.set(key, { hash, answer });
    return answer;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const permissive = req.headers['x-batch-validation'] === 'permissive';
      const raw = Buffer.concat(chunks).toString('utf8');
      const rate = rateCheck();
      let answer: Answer;
      if (!rate.ok) {
        limitedCount++;
        answer = error(429, 'rate_limit_exceeded', 'Too many requests. You can only make 2 requests per second.');
      } else if (req.method !== 'POST') {
        answer = error(405, 'method_not_allowed', 'Method not allowed');
      } else {
        answer = handle(path, raw, key, permissive);
      }
      let emails = 0;
      try {
        const parsed = JSON.parse(raw) as unknown;
        emails = Array.isArray(parsed) ? parsed.length : 1;
      } catch {
        // counted as 0
      }
      requests.push({ path, idempotencyKey: key, emails, status: answer.status, at });
      const reply = () => {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...rate.headers, ...answer.headers });
        res.end(JSON.stringify(answer.body));
      };
      const delay = delays.shift();
      if (delay) setTimeout(reply, delay);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accepted,
    fail(count, status, retryAfter) {
      for (let i = 0; i < count; i++) failures.push({ status, retryAfter });
    },
    outage(fn) {
      outage = fn;
    },
    slow(count, ms) {
      for (let i = 0; i < count; i++) delays.push(ms);
    },
    limited: () => limitedCount,
    reject(...addresses) {
      for (const a of addresses) rejected.add(a);
    },
    duplicates: () => [...accepted].filter(([, n]) => n > 1).map(([to]) => to),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
