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
          // These tests kill workers, stop Redis and race real nmap children; a failure is retried
          // once so that a scheduling hiccup on a busy 2-core machine is told apart from a defect
          // (a real defect fails both times, and vitest reports the retry).
          retry: 1,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
