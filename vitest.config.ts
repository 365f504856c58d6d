import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The console's unit tests (formatting, the API adapter) sit beside its sources.
    include: ['test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
