/**
 * The HTTP server in front of Astro: answers the public surfaces from the in-memory snapshot
 * (src/server/snapshot/) with no rendering at all, and hands every other request to the
 * built Astro app (@astrojs/node's standalone handler, which also serves the assets). This
 * is what `npm start` and `vigie serve` run; `dist/server/entry.mjs` alone still works, but
 * renders every request.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { newSecret } from '../server/ids.ts';
import { RENDER_HEADER, setFrontRegistry, snapshotUsable, type FrontRegistry } from '../server/snapshot/registry.ts';
import { writeExport } from '../server/snapshot/export.ts';
import { createSnapshotStore } from '../server/snapshot/store.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ENTRY = path.join(root, 'dist/server/entry.mjs');
export const ASSETS = path.join(root, 'dist/client');

type AstroHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export type FrontServer = { server: http.Server; registry: FrontRegistry; url: string; close(): Promise<void> };

/** Loads the built app and listens on host:port; resolves once listening and the app has opened (or failed to). */
export async function serveBuilt(options: {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Keep this folder in sync with the snapshot (the static mirror). */
  exportDir?: string;
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
  const server = http.createServer((req, res) => {
    if (req.headers[RENDER_HEADER] !== token && snapshotUsable(registry) && store.serve(req, res)) return;
    handler(req, res);
  });
  // Longer than a typical proxy's idle timeout, so nginx or a CDN reuses connections.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: in a spike, thousands of clients connect at once (Node's default is 511).
    server.listen({ port, host, backlog: 4096 }, () => resolve());
  });
  // Known only now when port was 0; the app reads it when it opens, on the request below.
  const origin = `http://${loopback}:${(server.address() as AddressInfo).port}`;
  registry.origin = origin;
  // Open the app (database, worker, snapshot) now rather than on the first visitor's request.
  await fetch(`${origin}/readyz`).catch(() => {});
  await registry.service?.firstBuild;
  return {
    server,
    registry,
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
