// Entry point of `npm run vigie -- <command>` and `npm start`: checks the Node
// version first, because Node < 22.18 cannot load the TypeScript CLI at all.
import './check-node.mjs';

await import('../src/cli/vigie.ts');
