import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    // Plugins are imported by Node itself (as in production), not by Vitest's module runner.
    server: { deps: { external: [/src\/plugins\/native-import\.js$/] } },
  },
});
