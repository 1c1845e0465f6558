import { configDefaults, defineConfig } from 'vitest/config';

// Tests of one engine only are named *.pglite.test.ts or *.postgres.test.ts: each run includes
// those of its engine, so that nothing is ever reported as skipped.
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'integration',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, onPostgres ? '**/*.pglite.test.ts' : '**/*.postgres.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          // PGlite instances are ~700 MB each: two files at a time on a 2-core machine.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
