// @ts-check
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  // Astro's own Origin check runs before any middleware and cannot exempt a route, so it
  // would refuse scripts calling the bearer-token API without an Origin (DELETE with no
  // body) and RFC 8058 one-click unsubscribes from mailbox providers. The same check runs
  // in src/middleware.ts instead, with those two exemptions, next to the CSRF tokens.
  security: { checkOrigin: false },
  server: { host: '127.0.0.1', port: 4321 },
  devToolbar: { enabled: false },
  vite: {
    ssr: {
      // Native binaries and WASM assets that must load from node_modules at run time.
      external: ['@electric-sql/pglite', '@node-rs/argon2', 'postgres'],
    },
  },
});
