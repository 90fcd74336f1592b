/** The project's Vitest config with the leak gate installed on every test (bench/leak-gate.bench.ts). */
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../../vitest.config.js';

export default mergeConfig(
  base,
  defineConfig({
    root: fileURLToPath(new URL('../..', import.meta.url)),
    test: { setupFiles: [fileURLToPath(new URL('./setup.ts', import.meta.url))] },
  }),
);
