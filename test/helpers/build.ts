import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Vitest globalSetup of the http project: builds the server the tests start. VIGIE_SKIP_BUILD=1 reuses dist/. */
export default function setup() {
  if (process.env.VIGIE_SKIP_BUILD === '1') return;
  const root = path.resolve(import.meta.dirname, '../..');
  execFileSync(process.execPath, [path.join(root, 'node_modules/astro/bin/astro.mjs'), 'build', '--silent'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1' },
  });
}
