import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Guards against a hang, not a speed claim (no test asserts one): generous, so a machine
    // loaded by other work slows the suite down without failing it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Most files wait on child processes, browsers and sockets rather than compute: two files
    // at a time even on 2 cores (Vitest's default there is one: cores - 1).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/global-setup.ts'],
    // Plugins are imported by Node itself (as in production), not by Vitest's module runner.
    server: { deps: { external: [/src\/plugins\/native-import\.js$/] } },
  },
});
