import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { openDatabase, ping, queryRows } from '../../src/db/client.ts';
import { createTestDatabase } from '../helpers/db.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

describe('database client', () => {
  it('hides the drivers’ result shapes behind queryRows', async () => {
    const t = await createTestDatabase();
    try {
      const rows = await queryRows<{ n: number; s: string }>(t.handle.db, sql`select 41 + 1 as n, 'x' as s`);
      expect(rows).toEqual([{ n: 42, s: 'x' }]);
      expect(await ping(t.handle.db)).toBe(true);
    } finally {
      await t.drop();
    }
  });

  it('applies migrations idempotently', async () => {
    const t = await createTestDatabase();
    try {
      await t.handle.migrate();
      const rows = await queryRows<{ n: number }>(
        t.handle.db,
        sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
      );
      expect(rows[0].n).toBeGreaterThanOrEqual(18);
    } finally {
      await t.drop();
    }
  });

  it('refuses to open an embedded data folder that another process holds, with a clear message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigie-lock-'));
    const held = await openDatabase({ dataDir: dir });
    try {
      const script = `import { openDatabase } from ${JSON.stringify(path.join(root, 'src/db/client.ts'))};
        try { await openDatabase({ dataDir: ${JSON.stringify(dir)} }); console.log('opened'); }
        catch (e) { console.log(e.message); }`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
      expect(stdout).toMatch(/already open in another Vigie process \(pid \d+\)/);
    } finally {
      await held.close();
    }
    // Released on close: another process can now open it.
    const reopened = await openDatabase({ dataDir: dir });
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
