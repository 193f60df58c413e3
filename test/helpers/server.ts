/**
 * Starts the built server (`vigie serve`: the front server and dist/server/entry.mjs) as a
 * child process on a free port, the way `npm start` runs it, and stops it after the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import type { Db } from '../../src/db/client.ts';
import { createTestDatabase, TEST_SECRET_KEY } from './db.ts';
import { seedScenario } from './scenario.ts';

type Scenario = Awaited<ReturnType<typeof seedScenario>>;

export type TestServer = { url: string; process: ChildProcess; output: () => string; stop(): Promise<void> };

const root = path.resolve(import.meta.dirname, '../..');

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, 'close');
  return port;
}

/** Starts the server with the given env on top of a minimal one; resolves when /healthz answers. */
export async function startServer(env: Record<string, string | undefined>): Promise<TestServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  // `vigie serve`: the front server with the public snapshot in front of the built app, as `npm start` runs it.
  const child = spawn(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      VIGIE_WORKER: '0',
      VIGIE_SECRET_KEY: TEST_SECRET_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`server did not start in 30 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    process: child,
    output: () => log,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * A fresh database with the test scenario, served by the built server. The test's own
 * handle is closed before the server starts: PGlite allows one process per folder.
 * `prepare` runs on the database after the scenario and before the server starts (to add
 * users, API tokens…); what it returns comes back as `prepared`.
 */
export async function startScenarioServer<P = undefined>(
  env: Record<string, string | undefined> = {},
  options: { prepare?: (db: Db, scenario: Scenario) => Promise<P> } = {},
) {
  const db = await createTestDatabase({ onDisk: true });
  const scenario = await seedScenario(db.handle.db);
  const prepared = (await options.prepare?.(db.handle.db, scenario)) as P;
  await db.close();
  const serverEnv = { ...db.env, ...env };
  const server = await startServer(serverEnv);
  return {
    server,
    /** The env the server runs with (its VIGIE_DATA_DIR holds the mail sink). */
    env: serverEnv,
    scenario,
    prepared,
    async stop() {
      await server.stop();
      await db.drop();
    },
  };
}
