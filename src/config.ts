/**
 * Every environment variable Vigie reads, declared once (see README "Configuration").
 * Plain process.env rather than astro:env, because the CLI and the worker share this
 * module and run outside Astro.
 */
import path from 'node:path';
import { z } from 'zod';

const Env = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  VIGIE_DATA_DIR: z.string().default('./data'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4321),
  SITE_URL: z.url().optional(),
  VIGIE_SEND_RATE: z.coerce.number().positive().default(2),
  ADMIN_EMAIL: z.string().optional(),
  ADMIN_PASSWORD: z.string().optional(),
  RESEND_API_KEY: z.string().optional(),
  RESEND_WEBHOOK_SECRET: z
    .string()
    .regex(/^(whsec_)?[A-Za-z0-9+/]+={0,2}$/, 'must be the signing secret Resend shows for the webhook (whsec_…)')
    .optional(),
  EMAIL_FROM: z.string().default('Vigie <status@localhost>'),
  VIGIE_WORKER: z.enum(['0', '1']).default('1'),
  VIGIE_SNAPSHOT_REFRESH: z.coerce.number().min(0.1).max(3600).default(30),
  VIGIE_EXPORT_DIR: z.string().optional(),
  VIGIE_LISTENERS: z.coerce.number().int().min(1).max(256).default(32),
  VIGIE_API_RATE_LIMIT: z.coerce.number().int().min(1).max(1_000_000).default(600),
  VIGIE_SECRET_KEY: z
    .string()
    .refine(
      (v) => parseSecretKey(v) !== null,
      'must be 32 bytes, as 64 hex characters or base64 (openssl rand -base64 32)',
    )
    .optional(),
  VIGIE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export type Config = {
  databaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  siteUrl: string;
  sendRate: number;
  adminEmail: string | undefined;
  adminPassword: string | undefined;
  resendApiKey: string | undefined;
  /** Verifies Resend's bounce and complaint webhooks; unset, /api/v1/hooks/resend answers 404. */
  resendWebhookSecret: string | undefined;
  emailFrom: string;
  worker: boolean;
  /** Seconds between two rebuilds of the public snapshot when nothing changed (time-based content, outage recovery). */
  snapshotRefresh: number;
  /** A folder the server keeps in sync with the public snapshot (the static mirror); unset, none. */
  exportDir: string | undefined;
  /** Listening sockets sharing the port (SO_REUSEPORT), so a burst of new connections is accepted fast; 1 turns it off. */
  listeners: number;
  /** Management API requests a minute per token; past it, 429 with Retry-After. */
  apiRateLimit: number;
  /** Encrypts webhook secrets and the signing secret at rest (src/server/secrets.ts); unset, a key file. */
  secretKey: string | undefined;
  /** The least important log lines written (src/server/log.ts). */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
};

/** Reads and validates the environment; throws one readable error listing every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = Env.safeParse(blankless);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const hostForUrl = e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST;
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.VIGIE_DATA_DIR),
    host: e.HOST,
    port: e.PORT,
    siteUrl: (e.SITE_URL ?? `http://${hostForUrl}:${e.PORT}`).replace(/\/+$/, ''),
    sendRate: e.VIGIE_SEND_RATE,
    adminEmail: e.ADMIN_EMAIL,
    adminPassword: e.ADMIN_PASSWORD,
    resendApiKey: e.RESEND_API_KEY,
    resendWebhookSecret: e.RESEND_WEBHOOK_SECRET,
    emailFrom: e.EMAIL_FROM,
    worker: e.VIGIE_WORKER === '1',
    snapshotRefresh: e.VIGIE_SNAPSHOT_REFRESH,
    exportDir: e.VIGIE_EXPORT_DIR ? path.resolve(e.VIGIE_EXPORT_DIR) : undefined,
    listeners: e.VIGIE_LISTENERS,
    apiRateLimit: e.VIGIE_API_RATE_LIMIT,
    secretKey: e.VIGIE_SECRET_KEY,
    logLevel: e.VIGIE_LOG_LEVEL,
  };
}

/** Parses a secret key: 64 hex characters, or base64 / base64url of exactly 32 bytes; null otherwise. */
export function parseSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return null;
  const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return key.length === 32 ? key : null;
}
