/**
 * The HTTP server in front of Astro: answers the public surfaces from the in-memory snapshot
 * (src/server/snapshot/) with no rendering at all, and the built assets from memory
 * (snapshot/assets.ts); it hands every other request to the built Astro app (@astrojs/node's
 * standalone handler, which still serves what the asset store leaves out). This is what
 * `npm start` and `vigie serve` run; `dist/server/entry.mjs` alone still works, but renders
 * every request.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newSecret } from '../server/ids.ts';
import { RENDER_HEADER, setFrontRegistry, snapshotUsable, type FrontRegistry } from '../server/snapshot/registry.ts';
import { loadAssets } from '../server/snapshot/assets.ts';
import { writeExport } from '../server/snapshot/export.ts';
import { createSnapshotStore } from '../server/snapshot/store.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ENTRY = path.join(root, 'dist/server/entry.mjs');
export const ASSETS = path.join(root, 'dist/client');

type AstroHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export type FrontServer = {
  /** The first of `servers`. */
  server: http.Server;
  /** Every listening socket: they share one port and one handler (see listenShared). */
  servers: http.Server[];
  registry: FrontRegistry;
  url: string;
  close(): Promise<void>;
};

/** Enough to accept a 1 000-connection burst in well under a second (bench/README.md, "The spike"). */
export const DEFAULT_LISTENERS = 32;

/** Loads the built app and listens on host:port; resolves once listening and the app has opened (or failed to). */
export async function serveBuilt(options: {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Keep this folder in sync with the snapshot (the static mirror). */
  exportDir?: string;
  /** Listening sockets sharing the port; 1 listens the plain way. */
  listeners?: number;
}): Promise<FrontServer> {
  const { host, port } = options;
  const loopback = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
  const registry: FrontRegistry = { store: createSnapshotStore(), origin: '', token: newSecret(), dirtySince: null };
  if (options.exportDir) {
    const dir = path.resolve(options.exportDir);
    registry.onBuilt = (store) => {
      writeExport(store, dir, ASSETS);
    };
  }
  setFrontRegistry(registry);

  process.env.ASTRO_NODE_AUTOSTART = 'disabled';
  const { handler } = (await import(pathToFileURL(ENTRY).href)) as { handler: AstroHandler };
  const { store, token } = registry;
  // The built CSS and scripts, from memory and precompressed (Astro's handler sends them raw).
  const assets = await loadAssets(ASSETS);
  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.headers[RENDER_HEADER] !== token && snapshotUsable(registry) && store.serve(req, res)) return;
    if (assets.serve(req, res)) return;
    handler(req, res);
  };
  const servers = await listenShared(handle, { host, port, count: options.listeners ?? DEFAULT_LISTENERS });
  const [server] = servers;
  // Known only now when port was 0; the app reads it when it opens, on the request below.
  const origin = `http://${loopback}:${(server.address() as AddressInfo).port}`;
  registry.origin = origin;
  // Open the app (database, worker, snapshot) now rather than on the first visitor's request.
  await fetch(`${origin}/readyz`).catch(() => {});
  await registry.service?.firstBuild;
  return {
    server,
    servers,
    registry,
    url: origin,
    close: () =>
      Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      ).then(() => {}),
  };
}

/**
 * Listens on host:port with `count` sockets that share the port (SO_REUSEPORT), all serving
 * one handler. Why: Node 24's libuv accepts one connection per turn of the event loop, and
 * under load a turn lasts about 20 ms, so a burst of 1 000 new connections waited seconds in
 * the kernel's accept queue (measured with strace and ss: one accept4 per epoll_wait, some 340
 * connections queued, draining at about 50 a second). The kernel spreads new connections over
 * the sockets, so each turn accepts up to `count`.
 *
 * A plain socket first claims the port, so a port already in use fails as it always did
 * (EADDRINUSE) instead of silently sharing it with another process; where the platform has no
 * SO_REUSEPORT, one plain socket listens.
 */
export async function listenShared(
  handler: http.RequestListener,
  options: { host: string; port: number; count: number },
): Promise<http.Server[]> {
  const { host, count } = options;
  const listen = (server: net.Server, opts: net.ListenOptions) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts, () => {
        server.off('error', reject);
        resolve();
      });
    });
  const make = () => {
    const server = http.createServer(handler);
    // Longer than a typical proxy's idle timeout, so nginx or a CDN reuses connections.
    server.keepAliveTimeout = 65_000;
    return server;
  };
  // A deep accept queue on each socket: in a spike, thousands of clients connect at once.
  const backlog = 4096;
  if (count <= 1) {
    const server = make();
    await listen(server, { host, port: options.port, backlog });
    return [server];
  }
  const probe = net.createServer();
  await listen(probe, { host, port: options.port });
  const port = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));

  const servers: http.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = make();
      await listen(server, { host, port, backlog, reusePort: true });
      servers.push(server);
    }
    return servers;
  } catch (err) {
    for (const s of servers) s.close();
    if (servers.length > 0 || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw err;
    // No SO_REUSEPORT here: one plain socket.
    const server = make();
    await listen(server, { host, port, backlog });
    return [server];
  }
}
