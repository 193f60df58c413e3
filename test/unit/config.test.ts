import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      databaseUrl: undefined,
      host: '127.0.0.1',
      port: 4321,
      siteUrl: 'http://127.0.0.1:4321',
      sendRate: 2,
      emailFrom: 'Vigie <status@localhost>',
      worker: true,
      resendWebhookSecret: undefined,
      snapshotRefresh: 30,
    });
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it('derives SITE_URL from HOST and PORT and trims a trailing slash from an explicit one', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '8080' }).siteUrl).toBe('http://0.0.0.0:8080');
    expect(loadConfig({ HOST: '::1' }).siteUrl).toBe('http://[::1]:4321');
    expect(loadConfig({ SITE_URL: 'https://status.example.com/' }).siteUrl).toBe('https://status.example.com');
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).port).toBe(4321);
  });

  it('lists every invalid variable in one readable error', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x', PORT: 'abc', VIGIE_WORKER: 'yes' })).toThrow(
      /DATABASE_URL: must be a postgres:\/\/ URL[\s\S]*PORT[\s\S]*VIGIE_WORKER/,
    );
  });

  it('takes the Resend webhook signing secret, with or without its whsec_ prefix', () => {
    expect(loadConfig({ RESEND_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }).resendWebhookSecret).toBe(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    );
    expect(loadConfig({ RESEND_WEBHOOK_SECRET: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }).resendWebhookSecret).toBeDefined();
    expect(() => loadConfig({ RESEND_WEBHOOK_SECRET: 're_not a secret' })).toThrow(
      /RESEND_WEBHOOK_SECRET: must be the signing secret/,
    );
  });

  it('takes a 32-byte VIGIE_SECRET_KEY and a log level, and refuses anything else by name', () => {
    const key = Buffer.alloc(32, 5).toString('base64');
    expect(loadConfig({ VIGIE_SECRET_KEY: key, VIGIE_LOG_LEVEL: 'debug' })).toMatchObject({
      secretKey: key,
      logLevel: 'debug',
    });
    expect(loadConfig({}).logLevel).toBe('info');
    expect(() => loadConfig({ VIGIE_SECRET_KEY: 'short' })).toThrow(/VIGIE_SECRET_KEY: must be 32 bytes/);
    expect(() => loadConfig({ VIGIE_LOG_LEVEL: 'loud' })).toThrow(/VIGIE_LOG_LEVEL/);
  });
});
