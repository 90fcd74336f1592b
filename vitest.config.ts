import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most files wait on child processes, browsers and sockets rather than compute: two files
    // at a time even on 2 cores (Vitest's default there is one: cores - 1).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    // Plugins are imported by Node itself (as in production), not by Vitest's module runner.
    server: { deps: { external: [/src\/plugins\/native-import\.js$/] } },
  },
});
