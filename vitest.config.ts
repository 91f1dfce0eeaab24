import { defineConfig } from 'vitest/config';

// `unit` needs no server. `integration` (API, graph, queues, discovery against real nmap, and the
// browser tests in headless Chromium) runs against the real Neo4j and Redis that
// test/setup/global-setup.ts provisions once per run; its files run one at a time because they
// share that one database.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
