import { defineConfig } from 'vitest/config';

// Four projects: unit (pure logic), integration (services against a real database:
// Postgres when DATABASE_URL is set, PGlite otherwise), http (the built server, started as
// a child process) and e2e (the built server driven by Debian's chromium through
// playwright-core). globalSetup builds the server once for the http and e2e projects.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'http',
          include: ['test/http/**/*.test.ts'],
          globalSetup: ['test/helpers/build.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/helpers/build.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One browser suite at a time: each starts a server and a chromium on 2 cores.
          fileParallelism: false,
        },
      },
    ],
  },
});
