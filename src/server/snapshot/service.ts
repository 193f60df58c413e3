/**
 * Keeps the public snapshot current in a running server: a first build at start, a rebuild
 * after each public change (NOTIFY on SNAPSHOT_CHANNEL, from this instance or any other on
 * the same database), and one every REFRESH_MS for what changes with time alone (the hot
 * paths only: the page, the API, the main feed, open incidents; everything every FULL_EVERY). When the
 * database is unreachable the last good snapshot stays, marked stale, and the timer keeps
 * trying, so the page recovers by itself when the database is back.
 *
 * The front server (src/cli/serve.ts) owns the store and serves it; it hands the store and
 * the way to render a page to the app through the registry (registry.ts).
 */
import { LANG_COOKIE, messages, type Lang } from '../../i18n/index.ts';
import type { DatabaseHandle } from '../../db/client.ts';
import { SNAPSHOT_CHANNEL } from '../outbox/service.ts';
import { buildSnapshot, SnapshotBuildError, type BuildResult, type Render } from './builder.ts';
import { frontRegistry, RENDER_HEADER } from './registry.ts';
import type { SnapshotStore } from './store.ts';
import { log as logger } from '../log.ts';

/** Time-based content (maintenance windows, "in 5 minutes", the uptime day) is at most this old. */
export const REFRESH_MS = 30_000;
/** How long changes may keep putting off the rest of a full build. */
const PREEMPT_LIMIT_MS = 60_000;
/** Every this many timer ticks the timer rebuilds everything, not only the hot paths. */
const FULL_EVERY = 10;
/** Changes that arrive together are built once. */
const DEBOUNCE_MS = 25;
/** How often to try LISTEN again when it could not be set up (database down at start). */
const LISTEN_RETRY_MS = 5_000;

type Scope = 'hot' | 'full';

export type SnapshotService = {
  /** Rebuilds now (after any running build); resolves when a build that saw the latest change is done. */
  rebuild(scope?: Scope): Promise<void>;
  /** Settles when the first complete build has run, or a build has failed (the database is down). */
  readonly firstBuild: Promise<void>;
  readonly last: BuildResult | null;
  stop(): Promise<void>;
};

export type SnapshotServiceOptions = {
  database: DatabaseHandle;
  store: SnapshotStore;
  render: Render;
  log?: (line: string) => void;
  refreshMs?: number;
};

/** Starts the builder; the first build runs at once. */
export function startSnapshotService(options: SnapshotServiceOptions): SnapshotService {
  const { database, store, render } = options;
  const log = options.log ?? ((line) => (line.includes('could not') ? logger.warn(line) : logger.info(line)));
  let stopped = false;
  let running: Promise<void> | null = null;
  /** The build asked for while one runs: 'full' wins over 'hot'. */
  let pending: Scope | null = null;
  let waiters: (() => void)[] = [];
  let debounce: NodeJS.Timeout | null = null;
  let debounced: Scope = 'hot';
  let down = false;
  let last: BuildResult | null = null;
  let unlisten: (() => Promise<void>) | null = null;
  let listenRetry: NodeJS.Timeout | null = null;
  let ticks = 0;
  /**
   * When the last full build completed (at first, when the service started): past
   * PREEMPT_LIMIT_MS, newer changes stop preempting the rest phase. The first build gives way
   * too: a change posted while a new instance builds its 100-odd pages shows at once rather
   * than seconds later; `firstBuild` waits for a complete one, so `vigie export` still writes
   * every page.
   */
  let lastFullAt = Date.now();
  let firstComplete: () => void = () => {};
  const firstBuild = new Promise<void>((resolve) => (firstComplete = resolve));

  const runOnce = async (scope: Scope) => {
    const startedAt = Date.now();
    try {
      last = await buildSnapshot(database.db, store, render, {
        scope,
        // A change waiting behind the rest phase (closed incidents, component feeds) goes first,
        // unless the rest has been put off for too long.
        preempt: () => pending !== null && Date.now() - lastFullAt < PREEMPT_LIMIT_MS,
      });
      if (last.scope === 'full' && !last.preempted) {
        lastFullAt = Date.now();
        firstComplete();
      }
      // The preempted rest is owed: the next build is a full one (its hot phase comes first anyway).
      if (last.preempted) pending = 'full';
      if (process.env.VIGIE_SNAPSHOT_DEBUG === '1') log(`Public snapshot: ${JSON.stringify(last)}`);
      const registry = frontRegistry();
      if (registry?.dirtySince != null && registry.dirtySince < startedAt) registry.dirtySince = null;
      if (registry?.onBuilt) {
        try {
          await registry.onBuilt(store);
        } catch (err) {
          log(
            `Public snapshot: could not update the static mirror: ${err instanceof Error ? err.message : String(err)}`,
          );
        }
      }
      if (down) log(`Public snapshot: the database answers again; rebuilt ${last.rendered} pages in ${last.ms} ms.`);
      down = false;
    } catch (err) {
      if (!down) {
        const reason = err instanceof SnapshotBuildError ? err.message : String(err);
        log(
          `Public snapshot: could not rebuild (${reason}); serving the one built at ${store.builtAt?.toISOString() ?? 'never'}.`,
        );
      }
      down = true;
      firstComplete();
      await store.markStale(staleNote);
    }
  };

  const loop = async (scope: Scope) => {
    let next: Scope | null = scope;
    while (next && !stopped) {
      const done = waiters;
      waiters = [];
      await runOnce(next);
      for (const w of done) w();
      next = pending;
      pending = null;
    }
    running = null;
    for (const w of waiters.splice(0)) w();
  };

  const request = (scope: Scope = 'full'): Promise<void> => {
    const waited = new Promise<void>((resolve) => waiters.push(resolve));
    if (running) pending = pending === 'full' || scope === 'full' ? 'full' : 'hot';
    else running = loop(scope);
    return waited;
  };

  const schedule = (scope: Scope) => {
    if (stopped) return;
    if (scope === 'full') debounced = 'full';
    if (debounce) return;
    debounce = setTimeout(() => {
      debounce = null;
      const s = debounced;
      debounced = 'hot';
      void request(s);
    }, DEBOUNCE_MS);
  };
  const onChange = () => schedule('full');

  const listen = async () => {
    try {
      unlisten = await database.listen(SNAPSHOT_CHANNEL, onChange, onChange);
    } catch {
      if (!stopped) listenRetry = setTimeout(() => void listen(), LISTEN_RETRY_MS);
    }
  };

  void listen();
  void request('full');
  const timer = setInterval(
    () => schedule(++ticks % FULL_EVERY === 0 || down ? 'full' : 'hot'),
    options.refreshMs ?? REFRESH_MS,
  );
  timer.unref();

  return {
    rebuild: request,
    firstBuild,
    get last() {
      return last;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (debounce) clearTimeout(debounce);
      if (listenRetry) clearTimeout(listenRetry);
      await running;
      await unlisten?.().catch(() => {});
    },
  };
}

/** Renders through the front server with the render header, as an anonymous visitor. */
export function loopbackRender(origin: string, token: string): Render {
  return (path, lang) =>
    fetch(origin + path, {
      // A language variant asks as the switcher's cookie would; without one, the page's default.
      headers: { [RENDER_HEADER]: token, ...(lang ? { cookie: `${LANG_COOKIE}=${lang}` } : {}) },
      redirect: 'manual',
    });
}

/** The note on public pages while the database is unreachable. */
export function staleNote(lastGood: Date, lang: Lang = 'en'): string {
  const t = messages(lang);
  const iso = lastGood.toISOString();
  const text = `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
  return `<p class="stale-note" role="status"><strong>${t('stale.title')}</strong> ${t('stale.asOf')} <time datetime="${iso}">${text}</time>. ${t('stale.back')}</p>`;
}
