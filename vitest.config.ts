import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Fails the run when a test left a process or a temp entry behind (test/global-leftovers.ts).
    globalSetup: ['test/global-leftovers.ts'],
    // QEMU boots are slow under TCG on a 2-core machine; per-test budgets are set by the tests themselves.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
