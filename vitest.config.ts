import { defineConfig } from 'vitest/config';

// Three projects: unit (pure logic), integration (services against a real database:
// Postgres when DATABASE_URL is set, PGlite otherwise) and http (the built server,
// started as a child process). globalSetup builds the server once for the http project.
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
    ],
  },
});
