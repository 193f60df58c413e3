// Run by `postinstall`: guards postgres.js (3.4.9, the latest) against its write-after-close
// crash, porsager/postgres#1154 and #1208, not fixed upstream yet. When a connection closes
// while a small write waits for setImmediate, `nextWrite` calls `socket.write` on null: an
// uncaught TypeError that kills the process, and a transaction's next query hangs forever.
// Measured with test/integration/faults-db-cut.test.ts (a Postgres connection cut during
// admin writes). The guard settles the waiting queries with CONNECTION_CLOSED instead, as
// the open upstream pull request #1209 does. Idempotent; fails loudly if postgres.js moved on.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const MARK = 'vigie: guard against a write after close';
const ANCHOR = '  function nextWrite(fn) {\n';
const GUARD =
  ANCHOR +
  `    if (socket === null) { // ${MARK}
      nextWriteTimer !== null && clearImmediate(nextWriteTimer)
      chunk = nextWriteTimer = null
      error(Errors.connection('CONNECTION_CLOSED', options))
      return false
    }
`;

const require = createRequire(import.meta.url);
let root;
try {
  // Its exports hide package.json: from the CommonJS entry (cjs/src/index.js), three up.
  root = path.resolve(path.dirname(require.resolve('postgres')), '../..');
} catch {
  process.exit(0); // not installed (e.g. a production install without it): nothing to patch
}
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
for (const file of ['src/connection.js', 'cjs/src/connection.js', 'cf/src/connection.js']) {
  const full = path.join(root, file);
  const text = readFileSync(full, 'utf8');
  if (text.includes(MARK)) continue;
  if (!text.includes(ANCHOR)) {
    console.error(`patch-postgres: postgres ${version} has no nextWrite in ${file}; check whether #1208 is fixed.`);
    process.exit(1);
  }
  writeFileSync(full, text.replace(ANCHOR, GUARD));
}
