/**
 * One fresh plugin folder per test, for test files that run the real binary or fixture
 * processes: `const fx = pluginFixturesPerTest();` at the top of the file. Before each test a
 * new `PluginFixtures` is created; after it every fixture process the test started is killed
 * and the folder removed. `fx` stands for the running test's folder (an error outside a test).
 */
import { afterEach, beforeEach } from 'vitest';
import { killAllFixtures } from '../node/fixture-process.js';
import { PluginFixtures } from './plugin-fixtures.js';

export function pluginFixturesPerTest(): PluginFixtures {
  let current: PluginFixtures | undefined;
  beforeEach(async () => {
    current = await PluginFixtures.create();
  });
  afterEach(async () => {
    killAllFixtures();
    await current?.[Symbol.asyncDispose]();
    current = undefined;
  });
  return new Proxy({} as PluginFixtures, {
    get(_, key) {
      // steward-allow-plain-error: a test helper's misuse, not a Steward error
      if (current === undefined) throw new Error('pluginFixturesPerTest(): used outside a test');
      const value: unknown = Reflect.get(current, key, current);
      return typeof value === 'function' ? value.bind(current) : value;
    },
  });
}
