import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StewardError } from '../../src/core/index.js';
import {
  GraphError,
  loadPluginManifest,
  ManifestError,
  PluginHost,
  resolvePluginGraph,
  TimeoutError,
} from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';

let fx: PluginFixtures;
let host: PluginHost;

beforeEach(async () => {
  fx = await PluginFixtures.create();
  host = new PluginHost({
    dirs: [fx.dir],
    storageDir: `${fx.root}/storage`,
    activationTimeoutMs: 200,
    log: () => {},
  });
});

afterEach(async () => {
  await host.dispose();
  await fx[Symbol.asyncDispose]();
});

/** What `promise` rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<StewardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StewardError);
  return error as StewardError;
}

describe('errors of steward/plugins are StewardErrors with stable codes', () => {
  it('a bad manifest: ManifestError, STEWARD_MANIFEST_INVALID, message unchanged', async () => {
    await fx.write(
      'bad/package.json',
      JSON.stringify({ name: 'bad', version: '1.0.0', steward: { id: 'Bad' } }),
    );
    const result = await loadPluginManifest(`${fx.dir}/bad`);
    expect(result.kind).toBe('invalid');
    const [error] = result.kind === 'invalid' ? result.errors : [];
    expect(error).toBeInstanceOf(ManifestError);
    expect(error).toBeInstanceOf(StewardError);
    expect(error!.code).toBe('STEWARD_MANIFEST_INVALID');
    expect(error!.name).toBe('ManifestError');
    expect(error!.field).toBe('steward.id');
  });

  it('a graph problem: GraphError, STEWARD_PLUGIN_GRAPH, with its kind', () => {
    const graph = resolvePluginGraph([
      { id: 'a', version: '1.0.0', dependencies: { b: '*' }, optionalDependencies: {} },
    ]);
    const [error] = graph.errors;
    expect(error).toBeInstanceOf(GraphError);
    expect(error).toBeInstanceOf(StewardError);
    expect(error!.code).toBe('STEWARD_PLUGIN_GRAPH');
    expect(error!.kind).toBe('missing-dependency');
  });

  it('the host: unknown plugin, wrong state, disposed host, timeouts', async () => {
    await fx.plugin('slow', { code: 'export default { activate() { return new Promise(() => {}); } };' });
    await fx.plugin('ok', { code: 'export default { activate() {} };' });
    await host.start();
    expect((await rejection(host.activate('nope'))).code).toBe('STEWARD_PLUGIN_UNKNOWN');
    expect((await rejection(host.resume('ok'))).code).toBe('STEWARD_PLUGIN_STATE');
    const failed: unknown[] = [];
    host.on('failed', (e) => failed.push(e.error));
    await host.reload('slow');
    expect(failed[0]).toBeInstanceOf(TimeoutError);
    expect((failed[0] as TimeoutError).code).toBe('STEWARD_PLUGIN_TIMEOUT');
    await host.dispose();
    expect((await rejection(host.start())).code).toBe('STEWARD_HOST_DISPOSED');
  });

  it('adding a second plugin with a taken id: STEWARD_PLUGIN_ID_TAKEN; a folder that is no plugin: STEWARD_NOT_A_PLUGIN', async () => {
    await fx.plugin('twin', { code: 'export default { activate() {} };' });
    await fx.write(
      'other/package.json',
      JSON.stringify({ name: 'other', version: '1.0.0', main: 'index.js', steward: { id: 'twin' } }),
    );
    await fx.write('other/index.js', 'export default { activate() {} };');
    await host.add(`${fx.dir}/twin`);
    expect((await rejection(host.add(`${fx.dir}/other`))).code).toBe('STEWARD_PLUGIN_ID_TAKEN');
    await fx.write('lib/package.json', JSON.stringify({ name: 'lib', version: '1.0.0' }));
    expect((await rejection(host.add(`${fx.dir}/lib`))).code).toBe('STEWARD_NOT_A_PLUGIN');
  });
});
