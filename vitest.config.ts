import { defineConfig } from 'vitest/config';

/** One test command for the whole repository: unit tests beside the code, integration tests under each folder's test/. */
export default defineConfig({
  test: {
    include: ['{shared,server,sfu,loadtest}/**/*.test.ts', 'client/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
