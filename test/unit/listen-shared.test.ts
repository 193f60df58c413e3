import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { listenShared } from '../../src/cli/serve.ts';

const open: net.Server[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const hello: http.RequestListener = (_req, res) => res.end('hello');
const portOf = (s: net.Server) => (s.address() as AddressInfo).port;

test('several sockets share one port and all serve the same handler', async () => {
  const servers = await listenShared(hello, { host: '127.0.0.1', port: 0, count: 4 });
  open.push(...servers);
  expect(servers).toHaveLength(4);
  const port = portOf(servers[0]);
  const connections = servers.map(() => 0);
  servers.forEach((s, i) => s.on('connection', () => connections[i]++));
  expect(servers.map(portOf)).toEqual([port, port, port, port]);
  // Fresh connections, spread by the kernel over the sockets: every one is answered.
  const bodies = await Promise.all(
    Array.from({ length: 40 }, () =>
      fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.text()),
    ),
  );
  expect(new Set(bodies)).toEqual(new Set(['hello']));
  expect(connections.reduce((a, b) => a + b)).toBe(40);
  // 40 connections hashed over 4 sockets all landing on one: a chance of 4 in 4^40.
  expect(connections.filter((n) => n > 0).length).toBeGreaterThan(1);
});

test('a port another process holds fails with EADDRINUSE instead of being shared', async () => {
  const plain = net.createServer();
  await new Promise<void>((r) => plain.listen({ host: '127.0.0.1', port: 0 }, r));
  open.push(plain);
  await expect(listenShared(hello, { host: '127.0.0.1', port: portOf(plain), count: 4 })).rejects.toMatchObject({
    code: 'EADDRINUSE',
  });
});

test('a port another shared group holds fails too: two instances never split one port', async () => {
  const first = await listenShared(hello, { host: '127.0.0.1', port: 0, count: 2 });
  open.push(...first);
  await expect(listenShared(hello, { host: '127.0.0.1', port: portOf(first[0]), count: 2 })).rejects.toMatchObject({
    code: 'EADDRINUSE',
  });
});

test('count 1 listens the plain way', async () => {
  const servers = await listenShared(hello, { host: '127.0.0.1', port: 0, count: 1 });
  open.push(...servers);
  expect(servers).toHaveLength(1);
  const res = await fetch(`http://127.0.0.1:${portOf(servers[0])}/`);
  await expect(res.text()).resolves.toBe('hello');
});
