/**
 * A fresh plugin folder and a quiet `PluginHost` over it for each test (no log, no Node options
 * of the test runner for worker and process plugins): `const t = hostPerTest();`, then `t.fx` and
 * `t.host` inside a test. Both are disposed after it.
 */
import { afterEach, beforeEach } from 'vitest';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from './plugin-fixtures.js';

export function hostPerTest(): { readonly fx: PluginFixtures; readonly host: PluginHost } {
  let fx: PluginFixtures | undefined;
  let host: PluginHost | undefined;
  beforeEach(async () => {
    fx = await PluginFixtures.create();
    host = new PluginHost({
      dirs: [fx.dir],
      storageDir: `${fx.root}/storage`,
      workerExecArgv: [],
      log: () => {},
    });
  });
  afterEach(async () => {
    await host?.dispose();
    await fx?.[Symbol.asyncDispose]();
    host = fx = undefined;
  });
  const inTest = <T>(value: T | undefined): T => {
    // steward-allow-plain-error: a test helper's misuse, not a Steward error
    if (value === undefined) throw new Error('hostPerTest(): used outside a test');
    return value;
  };
  return {
    get fx() {
      return inTest(fx);
    },
    get host() {
      return inTest(host);
    },
  };
}
