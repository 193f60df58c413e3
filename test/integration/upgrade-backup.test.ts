/**
 * Upgrades and backups, as README "Backups and upgrades" tells an operator to do them:
 * - a database created by the oldest migration set, holding data, upgrades on `vigie migrate`
 *   (what `npm start` runs first) and the data reads back through the current code;
 * - PostgreSQL: `pg_dump -Fc` then `pg_restore` into a new database gives the same page;
 * - PGlite: a copy of the stopped data folder opens as the same page.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { migrationsFolder, openDatabase, queryRows, type Db } from '../../src/db/client.ts';
import { newId } from '../../src/server/ids.ts';
import { loadHomePage, loadInternalHomePage } from '../../src/server/status-page/pages.ts';
import { createTestDatabase, usingPostgres } from '../helpers/db.ts';
import { INTERNAL_MARKER, seedScenario } from '../helpers/scenario.ts';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '../..');

type Journal = { entries: { idx: number; tag: string }[] };

/** A copy of drizzle/ that stops after the first `count` migrations: an older release's set. */
function olderMigrationSet(count: number): string {
  const from = migrationsFolder();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigie-migrations-'));
  const journal = JSON.parse(readFileSync(path.join(from, 'meta/_journal.json'), 'utf8')) as Journal;
  const entries = journal.entries.slice(0, count);
  cpSync(path.join(from, 'meta'), path.join(dir, 'meta'), { recursive: true });
  writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify({ ...journal, entries }));
  for (const e of entries) copyFileSync(path.join(from, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
  return dir;
}

async function vigie(env: Record<string, string | undefined>, ...args: string[]) {
  return run(process.execPath, [path.join(root, 'scripts/vigie.mjs'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
}

/** What a backup must carry over: every table's row count, and the public and internal pages. */
async function fingerprint(db: Db, now: Date) {
  // The pages first: the first read of the settings creates their row.
  const home = await loadHomePage(db, now);
  const internal = await loadInternalHomePage(db, now);
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables where table_schema = 'public' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(name)}`);
    counts[name] = row.n;
  }
  return { counts, home: JSON.stringify(home), internal: JSON.stringify(internal) };
}

describe('upgrades', () => {
  it('a database made by the oldest migration set, with data, upgrades on `vigie migrate` and reads back', async () => {
    const journal = JSON.parse(readFileSync(path.join(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as Journal;
    expect(journal.entries.length).toBeGreaterThan(1);
    const oldSet = olderMigrationSet(1);
    const t = await createTestDatabase({ onDisk: true, migrate: false });
    try {
      await t.handle.migrate({ folder: oldSet });
      const db = t.handle.db;
      // Rows written the way release 0000 wrote them: only the columns it had.
      const [group, pub, secret, incident, update, subscriber] = Array.from({ length: 6 }, () => newId());
      await db.execute(sql`insert into settings (id, page_id, page_name) values (1, 'oldpage', 'Old Acme')`);
      await db.execute(sql`insert into component_groups (id, name, position) values (${group}, 'Core', 1)`);
      await db.execute(sql`insert into components (id, group_id, name, status, position)
        values (${pub}, ${group}, 'Legacy API', 'partial_outage', 1)`);
      await db.execute(sql`insert into components (id, name, visibility, status, position)
        values (${secret}, ${`Old ${INTERNAL_MARKER}`}, 'internal', 'operational', 2)`);
      await db.execute(sql`insert into incidents (id, name, status, severity, visibility)
        values (${incident}, 'Legacy outage', 'identified', 2, 'public')`);
      await db.execute(sql`insert into incident_components (incident_id, component_id) values (${incident}, ${pub})`);
      await db.execute(sql`insert into incident_updates (id, incident_id, status, body)
        values (${update}, ${incident}, 'identified', 'We found the **cause**.')`);
      await db.execute(sql`insert into subscribers (id, email, manage_token_hash, confirmed_at)
        values (${subscriber}, 'old@example.com', 'x', now())`);
      await t.close();

      // What `npm start` does first, with the current drizzle/ folder.
      const { stdout } = await vigie(t.env, 'migrate');
      expect(stdout).toMatch(/Migrations applied/);

      const h = await openDatabase({ databaseUrl: t.env.DATABASE_URL, dataDir: t.env.VIGIE_DATA_DIR });
      try {
        const applied = await queryRows<{ n: number }>(
          h.db,
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        );
        expect(applied[0].n).toBe(journal.entries.length);
        // Tables and columns of later releases exist, with their defaults on old rows.
        const [s] = await queryRows<{ page_name: string; logo_url: string | null }>(
          h.db,
          sql`select page_name, logo_url from settings`,
        );
        expect(s).toEqual({ page_name: 'Old Acme', logo_url: null });
        await queryRows(h.db, sql`select count(*) from webhooks`);

        const home = await loadHomePage(h.db, new Date());
        const text = JSON.stringify(home);
        expect(text).toContain('Legacy API');
        expect(text).toContain('Legacy outage');
        expect(text).not.toContain(INTERNAL_MARKER);
        expect(home.chrome.pageName).toBe('Old Acme');
        const [sub] = await queryRows<{ email: string }>(h.db, sql`select email from subscribers`);
        expect(sub.email).toBe('old@example.com');
      } finally {
        await h.close();
      }
    } finally {
      await t.drop();
      rmSync(oldSet, { recursive: true, force: true });
    }
  });

  it('every older migration set upgrades to the current one', async () => {
    const count = (JSON.parse(readFileSync(path.join(migrationsFolder(), 'meta/_journal.json'), 'utf8')) as Journal)
      .entries.length;
    for (let k = 2; k < count; k++) {
      const oldSet = olderMigrationSet(k);
      const t = await createTestDatabase({ migrate: false });
      try {
        await t.handle.migrate({ folder: oldSet });
        await t.handle.migrate();
        const [row] = await queryRows<{ n: number }>(
          t.handle.db,
          sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
        );
        expect(row.n, `from the first ${k} migrations`).toBe(count);
      } finally {
        await t.drop();
        rmSync(oldSet, { recursive: true, force: true });
      }
    }
  }, 120_000);
});

describe('backups', () => {
  const now = new Date();

  if (usingPostgres) {
    it('PostgreSQL: pg_dump -Fc, then pg_restore into a new database, gives the same page and rows', async () => {
      const t = await createTestDatabase();
      const dump = path.join(mkdtempSync(path.join(tmpdir(), 'vigie-dump-')), 'vigie.dump');
      const target = new URL(t.env.DATABASE_URL!);
      target.pathname = `/vigie_restore_${newId()}`;
      const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
      try {
        await seedScenario(t.handle.db, now);
        const before = await fingerprint(t.handle.db, now);
        // README, "Backups and upgrades": the same commands.
        await run('pg_dump', ['--format=custom', '--no-owner', `--file=${dump}`, t.env.DATABASE_URL!]);
        await admin.unsafe(`create database "${target.pathname.slice(1)}"`);
        await run('pg_restore', ['--no-owner', '--exit-on-error', `--dbname=${target}`, dump]);
        const restored = await openDatabase({ databaseUrl: target.toString(), max: 2 });
        try {
          await restored.migrate(); // what start does: nothing pending
          expect(await fingerprint(restored.db, now)).toEqual(before);
        } finally {
          await restored.close();
        }
      } finally {
        await t.drop();
        await admin.unsafe(`drop database if exists "${target.pathname.slice(1)}" with (force)`);
        await admin.end();
        rmSync(path.dirname(dump), { recursive: true, force: true });
      }
    });
  }

  it('PGlite: a copy of the stopped data folder opens with the same page and rows', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigie-data-'));
    const copy = `${dir}-backup`;
    try {
      const original = await openDatabase({ dataDir: dir });
      await original.migrate();
      await seedScenario(original.db, now);
      const before = await fingerprint(original.db, now);
      await original.close(); // Vigie stopped: the folder is consistent and unlocked.
      cpSync(dir, copy, { recursive: true });
      rmSync(dir, { recursive: true, force: true }); // the disaster

      const restored = await openDatabase({ dataDir: copy });
      try {
        await restored.migrate();
        expect(await fingerprint(restored.db, now)).toEqual(before);
      } finally {
        await restored.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
