// @ts-check
import node from '@astrojs/node';
import { defineConfig } from 'astro/config';

export default defineConfig({
  output: 'server',
  adapter: node({ mode: 'standalone' }),
  // Rejects cross-site form posts. The one route that must accept them (RFC 8058 one-click
  // unsubscribe, from mailbox providers' servers) is handled in src/middleware.ts.
  security: { checkOrigin: true },
  server: { host: '127.0.0.1', port: 4321 },
  devToolbar: { enabled: false },
  vite: {
    ssr: {
      // Native binaries and WASM assets that must load from node_modules at run time.
      external: ['@electric-sql/pglite', '@node-rs/argon2', 'postgres'],
    },
  },
});
