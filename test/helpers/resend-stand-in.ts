/**
 * A local stand-in for Resend's sending API, for tests only: POST /emails and POST
 * /emails/batch with Resend's JSON shapes. It applies idempotency keys as Resend does (same
 * key and body: the same answer and no new send; same key, other body: 409), can answer the
 * next requests with 429 (and `retry-after`) or 500, and counts what it accepted. The real
 * SDK reaches it through `RESEND_BASE_URL`, read when a `Resend` is constructed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Email = { from?: string; to?: string | string[]; subject?: string; text?: string; html?: string };
type Answer = { status: number; body: unknown; headers?: Record<string, string> };

export type StandInRequest = { path: string; idempotencyKey: string | null; emails: number; status: number };

export type ResendStandIn = {
  url: string;
  /** Every request, in order, with the answer's status. */
  requests: StandInRequest[];
  /** Accepted emails per recipient (idempotent replays not counted). */
  accepted: Map<string, number>;
  /** The next `count` requests answer `status` (429 carries `retry-after: retryAfter`). */
  fail(count: number, status: 429 | 500, retryAfter?: number): void;
  /** Recipients accepted more than once. */
  duplicates(): string[];
  close(): Promise<void>;
};

export async function startResendStandIn(): Promise<ResendStandIn> {
  const requests: StandInRequest[] = [];
  const accepted = new Map<string, number>();
  const keys = new Map<string, { hash: string; answer: Answer }>();
  const failures: { status: number; retryAfter?: number }[] = [];

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

  function validate(emails: Email[]): Answer | null {
    for (const e of emails) {
      if (!e.from || !e.to || !e.subject || !(e.text || e.html)) {
        return error(422, 'validation_error', 'Missing `from`, `to`, `subject` or content');
      }
    }
    return null;
  }

  function handle(path: string, raw: string, key: string | null): Answer {
    const failure = failures.shift();
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
      else answer = validate(body) ?? { status: 200, body: { data: accept(body).map((id) => ({ id })) } };
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
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const key = (req.headers['idempotency-key'] as string | undefined) ?? null;
      const raw = Buffer.concat(chunks).toString('utf8');
      const answer =
        req.method === 'POST' ? handle(path, raw, key) : error(405, 'method_not_allowed', 'Method not allowed');
      let emails = 0;
      try {
        const parsed = JSON.parse(raw) as unknown;
        emails = Array.isArray(parsed) ? parsed.length : 1;
      } catch {
        // counted as 0
      }
      requests.push({ path, idempotencyKey: key, emails, status: answer.status });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
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
    duplicates: () => [...accepted].filter(([, n]) => n > 1).map(([to]) => to),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
