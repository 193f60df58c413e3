// Fails loudly, with the fix, when a script runs on a Node older than Vigie needs.
// `npm run` and `npx` put node_modules/.bin first on PATH, where the pinned `node`
// devDependency installs Node 24. `npm ci --ignore-scripts` skips that install and
// silently falls back to the machine's Node: this guard is what catches it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MIN = [22, 12];
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < MIN[0] || (major === MIN[0] && minor < MIN[1])) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  const lines = [
    `Vigie needs Node ${MIN.join('.')} or later, but this is Node ${process.versions.node} (${process.execPath}).`,
    existsSync(pinned)
      ? `The pinned Node is installed at ${pinned}: run Vigie through "npm start", "npm test" or "npm run …" so that node_modules/.bin comes first on PATH.`
      : 'The pinned Node (devDependency "node") is missing: run "npm ci" WITHOUT --ignore-scripts, since the pinned Node installs through its install script.',
  ];
  console.error(lines.map((l) => `✖ ${l}`).join('\n'));
  process.exit(1);
}
