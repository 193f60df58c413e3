// What a bare Node http server can do on this machine with the snapshot's answer, as a
// ceiling for the front server (bench/README.md, "What limits the ratio"). It serves one
// 3 100-byte body from memory, like /api/v2/summary.json gzip, in three ways, each loaded by
// wrk -t2 -c64 for 5 s:
//   object: the 15 response headers the snapshot sends, as an object (what store.ts does);
//   array:  the same headers as a flat array (skips building the object's key list);
//   few:    content-type and content-length only.
// Usage: node bench/node-ceiling.mjs  (needs wrk; the pinned Node: npm exec or node_modules/.bin)
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';

const body = Buffer.alloc(3100, 'x');
const headers = {
  'access-control-allow-origin': '*',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'content-type': 'application/json; charset=utf-8',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cache-control': 'public, max-age=10, stale-while-revalidate=30, stale-if-error=86400',
  vary: 'Accept-Encoding',
  etag: '"hX7DxCUfZoQ9s1RgsKHaf4cf57S-gz"',
  'last-modified': 'Thu, 03 Dec 2026 13:26:48 GMT',
  'x-vigie-snapshot': 'fresh',
  'content-length': body.length,
  'content-encoding': 'gzip',
};
const flat = Object.entries(headers).flatMap(([k, v]) => [k, String(v)]);
const few = { 'content-type': 'application/json', 'content-length': body.length };

const [mode, port] = process.argv.slice(2);
if (mode) {
  // Child: one server in one mode.
  http
    .createServer((_req, res) => {
      res.writeHead(200, mode === 'array' ? flat : mode === 'few' ? few : headers);
      res.end(body);
    })
    .listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
} else {
  const self = fileURLToPath(import.meta.url);
  for (const m of ['object', 'array', 'few']) {
    const p = 4700 + Math.floor(Math.random() * 200);
    const child = spawn(process.execPath, [self, m, String(p)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    await new Promise((resolve) => child.once('message', resolve));
    const out = execFileSync('wrk', ['-t2', '-c64', '-d5s', `http://127.0.0.1:${p}/`], { encoding: 'utf8' });
    console.log(`${m.padEnd(7)} ${/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? '?'} req/s`);
    child.kill();
  }
}
