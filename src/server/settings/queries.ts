import { eq, getTableColumns } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { settings } from '../../db/schema/index.ts';
import { newId } from '../ids.ts';

/**
 * The page settings as every page, API and email may see them: without the signing secret,
 * which only src/server/notify/tokens.ts reads, so it can never reach a rendered surface.
 */
export type Settings = Omit<typeof settings.$inferSelect, 'signingSecret'>;

/** The page settings; creates the single row with defaults the first time. */
const { signingSecret: _secret, ...COLUMNS } = getTableColumns(settings);

export async function getSettings(db: Db): Promise<Settings> {
  const [row] = await db.select(COLUMNS).from(settings).where(eq(settings.id, 1));
  if (row) return row;
  await db.insert(settings).values({ id: 1, pageId: newId() }).onConflictDoNothing();
  const [created] = await db.select(COLUMNS).from(settings).where(eq(settings.id, 1));
  return created;
}
