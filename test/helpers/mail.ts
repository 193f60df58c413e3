/** Reading the local mail sink (`<dataDir>/mail/*.eml`) in tests. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type SinkMessage = { file: string; raw: string; headers: Record<string, string>; text: string; html: string };

/** Every message in the sink, oldest first. */
export function readSink(dataDir: string): SinkMessage[] {
  const dir = path.join(dataDir, 'mail');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((file) => ({ file, ...parseEml(readFileSync(path.join(dir, file), 'utf8')) }));
}

/** A small parser for what the sink writes: top-level headers, then base64 text and HTML parts. */
export function parseEml(raw: string): Omit<SinkMessage, 'file'> {
  const [head] = raw.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  const part = (type: string) => {
    const m = raw.match(
      new RegExp(
        `Content-Type: ${type}; charset=utf-8\\r\\nContent-Transfer-Encoding: base64\\r\\n\\r\\n([A-Za-z0-9+/=\\r\\n]+?)\\r\\n--`,
      ),
    );
    return m ? Buffer.from(m[1].replace(/\r\n/g, ''), 'base64').toString('utf8') : '';
  };
  return { raw, headers, text: part('text/plain'), html: part('text/html') };
}

/** The token of the first `path?token=` link in a text. */
export function linkToken(text: string, pathname: string): string {
  const m = text.match(new RegExp(`${pathname.replace(/\//g, '\\/')}\\?token=([A-Za-z0-9_%-]+)`));
  if (!m) throw new Error(`no ${pathname} link in:\n${text}`);
  return decodeURIComponent(m[1]);
}

/** An RFC 2047 header (`=?UTF-8?B?…?=` words, as the sink writes them) back to its text. */
export function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?B\?([^?]*)\?=/gi, (_, b64: string) => Buffer.from(b64, 'base64').toString('utf8'));
}
