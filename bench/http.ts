/**
 * The public-surface benchmark (issue 6): loads a realistic page (10 groups, 50 components,
 * 5 active incidents with 5 updates each, 500 past incidents) into a throwaway Postgres
 * database, starts the built server as `npm start` runs it (`vigie serve`), exports the
 * static mirror of the same content, serves that with nginx, and loads both with wrk.
 *
 *   npm run bench:http                       # 2 threads, 64 connections, 10 s per route
 *   npm run bench:http -- --spike            # 1 000 connections for 30 s per route
 *   npm run bench:http -- --repeat 3         # each figure: the median of 3 runs
 *   npm run bench:http -- --outage           # the database gone for 20 s under load: non-200 answers?
 *
 * Prints, per route: requests/s for Vigie and nginx and their ratio, p50 and p99 latency,
 * errors, the response size (raw, gzip, brotli); then the server's peak RSS (VmHWM) and how
 * long an update published on one instance takes to show on a second one.
 * Needs wrk and nginx (Debian packages) and DATABASE_URL or a local Postgres.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client.ts';
import type { Actor } from '../src/server/audit/service.ts';
import { createApiToken } from '../src/server/users/service.ts';
import { startTcpProxy } from '../test/helpers/tcp-proxy.ts';
import { seedBenchContent } from './content.ts';

// One key for this run's processes: with DATABASE_URL, Vigie refuses to start without one.
process.env.VIGIE_SECRET_KEY ??= randomBytes(32).toString('base64');

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    connections: { type: 'string', default: '64' },
    duration: { type: 'string', default: '10' },
    routes: { type: 'string', default: '/,/api/v2/summary.json,/feed.rss' },
    'nginx-workers': { type: 'string', default: '1' },
    'no-nginx': { type: 'boolean', default: false },
    /** The spike: 1 000 connections for 30 s on every route. */
    spike: { type: 'boolean', default: false },
    /** The outage: the database goes away for 20 s in the middle of 40 s of load. */
    outage: { type: 'boolean', default: false },
    /** Runs of each measurement; the table shows the run with the median requests/s. */
    repeat: { type: 'string', default: '1' },
  },
});
if (values.spike) {
  values.connections = '1000';
  values.duration = '30';
}
const routes = values.routes.split(',').filter(Boolean);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const actor: Actor = { type: 'system', name: 'bench' };
const cleanups: (() => unknown)[] = [];
const children: ChildProcess[] = [];

async function main() {
  for (const tool of ['wrk', ...(values['no-nginx'] ? [] : ['nginx'])]) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`${tool} is missing: apt-get install -y ${tool === 'nginx' ? 'nginx-light' : tool}`);
    }
  }
  const base = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `vigie_bench_http_${process.pid}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();

  process.stdout.write('Seeding 10 groups, 50 components, 5 active and 500 past incidents… ');
  const seeded = performance.now();
  const token = await seed(databaseUrl);
  console.log(`${((performance.now() - seeded) / 1000).toFixed(1)} s`);

  execFileSync(process.execPath, [path.join(root, 'node_modules/astro/bin/astro.mjs'), 'build', '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
  if (values.outage) return outage(databaseUrl);
  const a = await startVigie(databaseUrl);
  const out = mkdtempSync(path.join(tmpdir(), 'vigie-mirror-'));
  // nginx's workers run as an unprivileged user: mkdtemp's 0700 would hide the mirror from them.
  chmodSync(out, 0o755);
  cleanups.push(() => rmSync(out, { recursive: true, force: true }));
  execFileSync(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'export', '--out', out], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: databaseUrl,
      VIGIE_SECRET_KEY: process.env.VIGIE_SECRET_KEY,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const nginxUrl = values['no-nginx'] ? null : await startNginx(out);

  console.log(
    `\nwrk -t${values.threads} -c${values.connections} -d${values.duration}s; nginx (${values['nginx-workers']} worker, gzip_static) on the exported mirror; Vigie one Node process.\n`,
  );
  const rows: string[][] = [
    [
      'route',
      'encoding',
      'Vigie req/s',
      'nginx req/s',
      'ratio',
      'Vigie p50',
      'Vigie p99',
      'nginx p99',
      'Vigie errors',
      'nginx errors',
      'raw',
      'gzip',
      'br',
    ],
  ];
  for (const route of routes) {
    const body = await bytes(a.url + route);
    for (const encoding of ENCODINGS) {
      const vigie = median(() => wrk(a.url + route, encoding));
      const nginx = nginxUrl ? median(() => wrk(nginxUrl + route, encoding)) : null;
      rows.push([
        route,
        encoding,
        vigie.rps.toFixed(0),
        nginx ? nginx.rps.toFixed(0) : '-',
        nginx ? `${((vigie.rps / nginx.rps) * 100).toFixed(0)} %` : '-',
        vigie.p50,
        vigie.p99,
        nginx ? nginx.p99 : '-',
        vigie.errorText,
        nginx ? nginx.errorText : '-',
        kb(body.length),
        kb(gzipSync(body, { level: 9 }).length),
        kb(brotliCompressSync(body).length),
      ]);
    }
  }
  printTable(rows);
  console.log(`\nVigie peak RSS (VmHWM): ${peakRss(a.process.pid!)} MB`);

  // What one live render costs (a query string bypasses the snapshot): the price of a rebuild.
  const live: string[] = [];
  for (const route of ['/', '/history', '/api/v2/summary.json', '/api/v2/incidents.json', '/feed.rss']) {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const started = performance.now();
      await bytes(`${a.url}${route}?live=${i}`);
      times.push(performance.now() - started);
    }
    times.sort((x, y) => x - y);
    live.push(`${route} ${times[3].toFixed(0)} ms`);
  }
  console.log(`Live render, median of 7: ${live.join(', ')}`);

  // Propagation: an update through the API of instance a, read from instance b.
  const b = await startVigie(databaseUrl);
  const incidentId = (await (await fetch(`${a.url}/api/v2/incidents/unresolved.json`)).json()).incidents[0]
    .id as string;
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    const marker = `propagation-${i}-${Date.now()}`;
    const res = await fetch(`${a.url}/api/v1/incidents/${incidentId}/updates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'identified', body: marker, notify: false }),
    });
    if (res.status !== 201) throw new Error(`posting an update answered ${res.status}: ${await res.text()}`);
    const posted = performance.now();
    for (;;) {
      if ((await (await fetch(`${b.url}/api/v2/summary.json`)).text()).includes(marker)) break;
      if (performance.now() - posted > 10_000) throw new Error('the update did not reach the second instance in 10 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    delays.push(performance.now() - posted);
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(
    `Update visible on a second instance after: ${delays.map((d) => `${d.toFixed(0)} ms`).join(', ')} (max ${Math.max(...delays).toFixed(0)} ms)`,
  );
}

/**
 * The database outage under load. The server reaches PostgreSQL through a TCP proxy that
 * this process cuts for 20 s (the same effect on the app as stopping PostgreSQL, without
 * stopping a server other work may share), while wrk loads `/` and `/api/v2/summary.json`
 * for 40 s. Target: no answer other than 200.
 */
async function outage(databaseUrl: string) {
  const url = new URL(databaseUrl);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  cleanups.push(() => proxy.close());
  url.host = `127.0.0.1:${proxy.port}`;
  const server = await startVigie(url.toString(), { VIGIE_SNAPSHOT_REFRESH: '2' });
  const load = (route: string) =>
    new Promise<string>((resolve, reject) => {
      let out = '';
      const child = spawn('wrk', ['-t1', '-c32', '-d40s', '--latency', server.url + route]);
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', () => resolve(out));
    });
  console.log('wrk -t1 -c32 -d40s on / and /api/v2/summary.json together; the database is cut from 10 s to 30 s.');
  const runs = ['/', '/api/v2/summary.json'].map(load);
  await new Promise((r) => setTimeout(r, 10_000));
  await proxy.cut();
  const cutAt = performance.now();
  let staleSeen = false;
  let readyz = 0;
  while (performance.now() - cutAt < 20_000) {
    const page = await fetch(server.url + '/').then(
      (r) => r.headers.get('x-vigie-snapshot'),
      () => null,
    );
    if (page === 'stale') staleSeen = true;
    readyz =
      (await fetch(server.url + '/readyz').then(
        (r) => r.status,
        () => 0,
      )) || readyz;
    await new Promise((r) => setTimeout(r, 500));
  }
  await proxy.restore();
  const restoredAt = performance.now();
  const results = await Promise.all(runs);
  let recovered = -1;
  while (performance.now() - restoredAt < 30_000) {
    if ((await fetch(server.url + '/')).headers.get('x-vigie-snapshot') === 'fresh') {
      recovered = performance.now() - restoredAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const [i, route] of ['/', '/api/v2/summary.json'].entries()) {
    const r = parseWrk(results[i]);
    const total = Number(/(\d+) requests in/.exec(results[i])?.[1] ?? NaN);
    console.log(
      `${route}: ${total} answers, ${r.rps.toFixed(0)} req/s, p99 ${r.p99}, errors (non-200 and socket): ${r.errorText}`,
    );
  }
  console.log(`During the cut: the page was served stale: ${staleSeen ? 'yes' : 'no'}; /readyz answered ${readyz}.`);
  console.log(
    recovered >= 0
      ? `Fresh again ${recovered.toFixed(0)} ms after the database came back (timer: 2 s).`
      : 'Not fresh again 30 s after the database came back.',
  );
}

async function seed(databaseUrl: string): Promise<string> {
  const handle = await openDatabase({ databaseUrl, max: 4 });
  try {
    await handle.migrate();
    await seedBenchContent(handle.db);
    return (await createApiToken(handle.db, actor, { name: 'bench', role: 'comms' })).token;
  } finally {
    await handle.close();
  }
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startVigie(
  databaseUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [path.join(root, 'scripts/vigie.mjs'), 'serve'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      VIGIE_SECRET_KEY: process.env.VIGIE_SECRET_KEY,
      VIGIE_WORKER: '0',
      VIGIE_SNAPSHOT_DEBUG: process.env.VIGIE_SNAPSHOT_DEBUG,
      // To measure what the timer rebuilds cost a spike: VIGIE_SNAPSHOT_REFRESH=3600.
      VIGIE_SNAPSHOT_REFRESH: process.env.VIGIE_SNAPSHOT_REFRESH,
      // VIGIE_LISTENERS=1 measures the spike with one listening socket (see bench/README.md).
      VIGIE_LISTENERS: process.env.VIGIE_LISTENERS,
      ...extraEnv,
    },
    // VIGIE_SNAPSHOT_DEBUG=1 prints each build's timings.
    stdio: ['ignore', process.env.VIGIE_SNAPSHOT_DEBUG === '1' ? 'inherit' : 'ignore', 'inherit'],
  });
  children.push(child);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const cached = await fetch(url + '/').then(
      (r) => r.headers.get('cache-control')?.includes('stale-if-error'),
      () => false,
    );
    if (cached) return { url, process: child };
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('Vigie did not start with a snapshot');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startNginx(dir: string): Promise<string> {
  const port = await freePort();
  const conf = mkdtempSync(path.join(tmpdir(), 'vigie-nginx-'));
  cleanups.push(() => rmSync(conf, { recursive: true, force: true }));
  writeFileSync(
    path.join(conf, 'nginx.conf'),
    `worker_processes ${values['nginx-workers']};
daemon off;
pid ${conf}/nginx.pid;
error_log ${conf}/error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${conf}/body;
  proxy_temp_path ${conf}/proxy;
  fastcgi_temp_path ${conf}/fastcgi;
  uwsgi_temp_path ${conf}/uwsgi;
  scgi_temp_path ${conf}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${dir};
    gzip_static on;
    location / { try_files $uri $uri/index.html =404; }
  }
}
`,
  );
  const child = spawn('nginx', ['-c', path.join(conf, 'nginx.conf'), '-p', conf], { stdio: 'inherit' });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(url + '/').then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not serve ${dir}: ${readFileSync(path.join(conf, 'error.log'), 'utf8').slice(-2000)}`);
}

/**
 * The raw bytes of one answer. Retried once: after a long wrk run, the pooled keep-alive
 * connection this process held may be closed by the server just as it is reused.
 */
async function bytes(url: string): Promise<Buffer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return Buffer.from(await (await fetch(url, { headers: { 'accept-encoding': 'identity' } })).arrayBuffer());
    } catch (err) {
      if (attempt >= 2) throw err;
    }
  }
}

/** Runs a measurement --repeat times, alternating with nothing else, and keeps the median run. */
function median(measure: () => WrkResult): WrkResult {
  const runs = Array.from({ length: Math.max(1, Number(values.repeat)) }, measure).sort((x, y) => x.rps - y.rps);
  return runs[Math.floor(runs.length / 2)];
}

type WrkResult = { rps: number; p50: string; p99: string; errors: number; errorText: string };

/**
 * What clients ask for: nothing (wrk's default, the raw bytes), and gzip, which browsers and
 * CDNs send and nginx can answer from the mirror's .gz files (Debian's nginx has no brotli).
 */
const ENCODINGS = ['identity', 'gzip'] as const;

function wrk(url: string, encoding: (typeof ENCODINGS)[number]): WrkResult {
  const output = execFileSync(
    'wrk',
    [
      `-t${values.threads}`,
      `-c${values.connections}`,
      `-d${values.duration}s`,
      '--latency',
      ...(encoding === 'identity' ? [] : ['-H', `Accept-Encoding: ${encoding}`]),
      url,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return parseWrk(output);
}

function parseWrk(output: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? NaN);
  const p50 = /^\s+50%\s+(\S+)/m.exec(output)?.[1] ?? '?';
  const p99 = /^\s+99%\s+(\S+)/m.exec(output)?.[1] ?? '?';
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const errors = non2xx + (socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0);
  const kinds = socket
    ? ['connect', 'read', 'write', 'timeout'].flatMap((k, i) =>
        Number(socket[i + 1]) ? [`${k} ${socket[i + 1]}`] : [],
      )
    : [];
  if (non2xx) kinds.push(`non-2xx ${non2xx}`);
  return { rps, p50, p99, errors, errorText: kinds.length ? kinds.join(', ') : '0' };
}

function peakRss(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kbPeak = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return (kbPeak / 1024).toFixed(0);
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function printTable(rows: string[][]) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [n, row] of rows.entries()) {
    console.log(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

try {
  await main();
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  for (const cleanup of cleanups.reverse()) await cleanup();
}
