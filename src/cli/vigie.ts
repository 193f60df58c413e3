/**
 * `npm run vigie -- <command>`: operations from a terminal. Run through scripts/vigie.mjs,
 * which checks the Node version first. Commands that print a secret print it alone on the
 * last line, so scripts can take it with `tail -n 1`. The one-shot commands answer in plain
 * text; the long-running ones (start, serve, worker) write JSON log lines (src/server/log.ts).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type DatabaseHandle } from '../db/client.ts';
import { SYSTEM_ACTOR } from '../server/audit/service.ts';
import { ServiceError, ValidationError } from '../server/errors.ts';
import { createApiToken, createUser, generatePassword } from '../server/users/service.ts';
import { seedDemo } from '../server/demo/seed.ts';
import { startBackgroundWork } from '../server/background.ts';
import { createMailer } from '../server/notify/mailer.ts';
import { ASSETS, serveBuilt } from './serve.ts';
import { writeExport } from '../server/snapshot/export.ts';
import { ensureBuilt, startServer } from './start.ts';
import { log } from '../server/log.ts';
import { sealStoredSecrets } from '../server/seal-secrets.ts';
import { secretKey } from '../server/secrets.ts';

/** The commands that keep running, and log in JSON rather than answer in text. */
const SERVERS = ['start', 'serve', 'worker'];

type Command = { summary: string; usage: string; run(args: string[], config: Config): Promise<void> };

const commands: Record<string, Command> = {
  start: {
    summary: 'Build if needed, migrate, seed an empty embedded database, and serve Vigie',
    usage: 'start',
    run: (_args, config) => startServer(config),
  },
  serve: {
    summary: 'Serve the built server as it is (no build, no migrations or demo content): what a container runs',
    usage: 'serve',
    async run(_args, config) {
      secretKey(); // refuses to start, by name, without one (see src/server/secrets.ts)
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
      const front = await serveBuilt({
        host: config.host,
        port: config.port,
        exportDir: config.exportDir,
        listeners: config.listeners,
      });
      log.info(`Vigie is serving ${config.siteUrl} (listening on ${front.url})`);
    },
  },
  export: {
    summary: 'Write the public snapshot as static files into DIR; --watch keeps DIR in sync until stopped',
    usage: 'export --out DIR [--watch]',
    async run(args) {
      const { values } = parseArgs({ args, options: { out: { type: 'string' }, watch: { type: 'boolean' } } });
      if (!values.out) throw new UsageError('export needs --out DIR');
      const out = path.resolve(values.out);
      ensureBuilt();
      // This process serves only its own loopback renders: no worker, a private port.
      process.env.VIGIE_WORKER = '0';
      const front = await serveBuilt({
        host: '127.0.0.1',
        port: 0,
        exportDir: values.watch ? out : undefined,
        listeners: 1,
      });
      const { store } = front.registry;
      if (store.size === 0) {
        await front.close();
        throw new Error('Could not build the public snapshot: is the database reachable? (see /readyz)');
      }
      const result = writeExport(store, out, ASSETS);
      console.log(
        `Exported ${result.files} pages and files to ${out} (${result.written} written, ${result.removed} removed), with .gz and .br copies.`,
      );
      if (!values.watch) {
        await front.close();
        process.exit(0);
      }
      console.log(`Keeping ${out} in sync after every change. Stop with Ctrl-C.`);
    },
  },
  migrate: {
    summary: 'Apply the pending migrations from drizzle/',
    usage: 'migrate',
    async run(_args, config) {
      await withDatabase(config, async (database) => {
        console.log(`Migrations applied to ${database.label}.`);
      });
    },
  },
  'user:add': {
    summary: 'Create a user (roles: admin, comms, responder, viewer)',
    usage: 'user:add --email E --role R [--name N] [--password P]',
    async run(args, config) {
      const { values } = parseArgs({
        args,
        options: {
          email: { type: 'string' },
          role: { type: 'string' },
          name: { type: 'string' },
          password: { type: 'string' },
        },
      });
      if (!values.email || !values.role) throw new UsageError('user:add needs --email and --role');
      const generated = values.password === undefined;
      const password = values.password ?? generatePassword();
      await withDatabase(config, async ({ db }) => {
        const user = await createUser(db, SYSTEM_ACTOR, {
          email: values.email!,
          role: values.role!,
          name: values.name,
          password,
        });
        console.log(`Created ${user.role} ${user.email}.`);
        if (generated) {
          console.log('Generated password (shown once):');
          console.log(password);
        }
      });
    },
  },
  'token:add': {
    summary: 'Create a management API token; prints it once, on the last line',
    usage: 'token:add --name N --role R',
    async run(args, config) {
      const { values } = parseArgs({ args, options: { name: { type: 'string' }, role: { type: 'string' } } });
      if (!values.name || !values.role) throw new UsageError('token:add needs --name and --role');
      await withDatabase(config, async ({ db }) => {
        const { token, row } = await createApiToken(db, SYSTEM_ACTOR, { name: values.name!, role: values.role! });
        console.log(`Created API token "${row.name}" (${row.role}). Only its hash is stored; copy it now:`);
        console.log(token);
      });
    },
  },
  worker: {
    summary: 'Run only the notification worker, until stopped (the web server runs one too unless VIGIE_WORKER=0)',
    usage: 'worker',
    async run(_args, config) {
      secretKey();
      const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        await database.migrate();
        await sealStoredSecrets(database.db);
        const mailer = createMailer({ apiKey: config.resendApiKey, dataDir: config.dataDir, from: config.emailFrom });
        const work = startBackgroundWork(database.db, config, mailer, {
          log: (line) => log.info(String(line.event), line),
        });
        log.info(
          `Vigie worker on ${database.label}: email through ${mailer.kind === 'resend' ? 'Resend' : `the mail sink in ${config.dataDir}/mail`}, ` +
            `${config.sendRate} request(s)/s. Stop with Ctrl-C or SIGTERM.`,
        );
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', () => resolve());
          process.once('SIGINT', () => resolve());
        });
        log.info('Stopping: finishing the batches in flight…');
        await work.stop();
      } finally {
        await database.close();
      }
    },
  },
  'demo:seed': {
    summary: 'Load the demo content into an empty database',
    usage: 'demo:seed',
    async run(_args, config) {
      await withDatabase(config, async ({ db }) => {
        const result = await seedDemo(db);
        console.log(
          `Demo content loaded: ${result.components} components, ${result.incidents} incidents and maintenances.`,
        );
      });
    },
  },
};

class UsageError extends Error {}

async function withDatabase(config: Config, fn: (database: DatabaseHandle) => Promise<void>): Promise<void> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  try {
    await database.migrate();
    await fn(database);
  } finally {
    await database.close();
  }
}

function help(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  return [
    'Usage: npm run vigie -- <command> [options]',
    '',
    ...Object.values(commands).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    console.log(help());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${help()}`);
    return 2;
  }
  if (SERVERS.includes(name)) {
    // A crash outside any request is logged as one JSON line (redacted like the rest) before
    // the process ends, rather than Node's own multi-line trace on stderr.
    process.on('uncaughtException', (err) => {
      log.error('Uncaught exception', { err });
      process.exit(1);
    });
    process.on('unhandledRejection', (reason) => {
      log.error('Unhandled rejection', { err: reason });
      process.exit(1);
    });
  }
  try {
    await command.run(args, loadConfig());
    return 0;
  } catch (err) {
    if (SERVERS.includes(name)) {
      log.error(err instanceof Error ? err.message : String(err), err instanceof Error ? { err } : undefined);
      return 1;
    }
    if (err instanceof UsageError) console.error(`${err.message}\nUsage: npm run vigie -- ${command.usage}`);
    else if (err instanceof ValidationError)
      console.error(
        `Invalid input: ${
          Object.entries(err.fields)
            .map(([k, v]) => `--${k}: ${v}`)
            .join('; ') || err.message
        }`,
      );
    else if (err instanceof ServiceError) console.error(err.message);
    else if (err instanceof Error && err.message.startsWith('Invalid configuration')) console.error(err.message);
    else console.error(err instanceof Error ? (err.cause ? `${err.message}: ${String(err.cause)}` : err.message) : err);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `start` keeps running: only the one-shot commands exit here.
// The servers keep running after their command returns.
if (!['start', 'serve', 'export'].includes(process.argv[2]) || code !== 0) process.exit(code);
