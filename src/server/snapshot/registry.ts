/**
 * What the front server (src/cli/serve.ts) and the app it wraps share, through one global:
 * the front server runs from the sources and the app from the Astro build, so they do not
 * share module instances.
 */
import type { SnapshotService } from './service.ts';
import type { SnapshotStore } from './store.ts';

/** The header that marks the builder's own loopback requests, so the snapshot does not answer them. */
export const RENDER_HEADER = 'x-vigie-render';

/**
 * How long a change made in this process sends readers to the live pages while the snapshot
 * catches up. Bounded, so a rolled-back change (which never NOTIFYs) costs only this.
 */
export const DIRTY_MS = 5_000;

export type FrontRegistry = {
  store: SnapshotStore;
  /** `http://127.0.0.1:4321`: where the loopback renders go. */
  origin: string;
  /** A per-process secret: the value of RENDER_HEADER on loopback renders. */
  token: string;
  /**
   * When this process last queued a public change (ms since the epoch), until a build that
   * started after it completes: meanwhile the snapshot is bypassed, so whoever made the
   * change reads it at once on this instance.
   */
  dirtySince: number | null;
  /** Set by the app once its snapshot service runs. */
  service?: SnapshotService;
  /** Called after each successful build (the static mirror kept in sync). */
  onBuilt?: (store: SnapshotStore) => void | Promise<void>;
};

const KEY = Symbol.for('vigie.front');

/** The front server's registry, when the app runs behind it (not under `astro dev` or a bare entry.mjs). */
export function frontRegistry(): FrontRegistry | undefined {
  return (globalThis as { [KEY]?: FrontRegistry })[KEY];
}

export function setFrontRegistry(registry: FrontRegistry): void {
  (globalThis as { [KEY]?: FrontRegistry })[KEY] = registry;
}

/** Called when a transaction queues a public change: readers of this process bypass the snapshot until it is rebuilt. */
export function markSnapshotDirty(): void {
  const registry = frontRegistry();
  if (registry) registry.dirtySince = Date.now();
}

/** Whether the snapshot may answer now. */
export function snapshotUsable(registry: FrontRegistry, now = Date.now()): boolean {
  return registry.dirtySince === null || now - registry.dirtySince > DIRTY_MS;
}
