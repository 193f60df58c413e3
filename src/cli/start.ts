/**
 * `npm start`: build the server if the sources changed since the last build, prepare the
 * database (migrations, first admin, demo content on an empty embedded database), then
 * serve. The database is closed before the server opens it, because embedded PGlite
 * allows one open handle per folder.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.ts';
import { openDatabase } from '../db/client.ts';
import { SYSTEM_ACTOR } from '../server/audit/service.ts';
import { isEmpty, seedDemo } from '../server/demo/seed.ts';
import { countUsers, createUser, ensureFirstAdmin, generatePassword } from '../server/users/service.ts';
import { log } from '../server/log.ts';
import { sealStoredSecrets } from '../server/seal-secrets.ts';
import { secretKey } from '../server/secrets.ts';
import { ENTRY as entry, serveBuilt } from './serve.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEMO_ADMIN = 'admin@acme.example';

/** Builds, prepares the database and serves Vigie in this process. */
export async function startServer(config: Config): Promise<void> {
  secretKey(); // refuses to start, by name, without one (see src/server/secrets.ts)
  ensureBuilt();
  const loginLines = await prepareDatabase(config);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
  const front = await serveBuilt({
    host: config.host,
    port: config.port,
    exportDir: config.exportDir,
    listeners: config.listeners,
  });
  const ready = await fetch(`${front.url}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  log.info(`Vigie is serving ${config.siteUrl}${ready ? '' : ' (the database is not answering yet: see /readyz)'}`);
  for (const line of loginLines) log.info(line);
}

/** Builds the server when the sources are newer than the build. */
export function ensureBuilt(): void {
  if (existsSync(entry) && newestSource() <= statSync(entry).mtimeMs) return;
  log.info('Building Vigie (the sources changed since the last build)…');
  execFileSync(process.execPath, [path.join(root, 'node_modules/astro/bin/astro.mjs'), 'build', '--silent'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
}

function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'public', 'astro.config.mjs', 'package-lock.json']) {
    const full = path.join(root, p);
    if (existsSync(full)) visit(full);
  }
  return newest;
}

async function prepareDatabase(config: Config): Promise<string[]> {
  const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max: 2 });
  const lines: string[] = [];
  try {
    await database.migrate();
    await sealStoredSecrets(database.db);
    const { db } = database;
    const firstAdmin = await ensureFirstAdmin(db, config);
    if (firstAdmin) lines.push(`Created the first admin, ${firstAdmin}, from ADMIN_EMAIL and ADMIN_PASSWORD.`);
    const credentialsFile = path.join(config.dataDir, 'demo-login.txt');
    if (database.kind === 'pglite' && (await isEmpty(db))) {
      const result = await seedDemo(db);
      lines.push(`Loaded the demo content (${result.components} components) into the empty embedded database.`);
      if ((await countUsers(db)) === 0) {
        const password = generatePassword();
        await createUser(db, SYSTEM_ACTOR, { email: DEMO_ADMIN, password, role: 'admin', name: 'Demo admin' });
        writeFileSync(credentialsFile, `${DEMO_ADMIN}\n${password}\n`, { mode: 0o600 });
        chmodSync(credentialsFile, 0o600);
      }
    }
    if (database.kind === 'pglite' && existsSync(credentialsFile)) {
      // The password stays in the file: logs never carry one.
      const [email] = readFileSync(credentialsFile, 'utf8').split('\n');
      lines.push(
        `Log in at ${config.siteUrl}/admin/login as ${email} with the password in ${credentialsFile} (delete that file once you have changed the password).`,
      );
    } else if ((await countUsers(db)) === 0) {
      lines.push('No user exists yet. Create the first admin with:');
      lines.push('  npm run vigie -- user:add --email you@example.com --role admin');
      lines.push('or set ADMIN_EMAIL and ADMIN_PASSWORD before starting.');
    } else {
      lines.push(`Staff log in at ${config.siteUrl}/admin/login.`);
    }
    lines.unshift(`Database: ${database.label}`);
  } finally {
    await database.close();
  }
  return lines;
}
