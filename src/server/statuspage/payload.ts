/**
 * One v2 payload straight from a database: the seam the routes, the static export and the
 * tests share. Always the public audience; there is no internal variant of the v2 API.
 */
import type { Db } from '../../db/client.ts';
import { loadStatusPage } from '../status-page/queries.ts';
import { buildV2Payload, type V2Endpoint, type V2Payload } from './serialize.ts';

/** Loads the public read model and serializes one endpoint. */
export async function queryV2Payload(
  db: Db,
  siteUrl: string,
  endpoint: V2Endpoint,
  now = new Date(),
): Promise<V2Payload> {
  const data = await loadStatusPage(db, { audience: 'public', now });
  return buildV2Payload(endpoint, data, siteUrl);
}
