/**
 * OpenTelemetry export, checked at a loopback OTLP/HTTP receiver that decodes what it gets with
 * the official protobuf definitions: `steward.*` metrics, the runtime conventions (`v8js.*`,
 * `nodejs.*`, `process.*`), lifecycle spans with disposer errors as span events — in process and
 * through the real `steward run --otel`. The SDK is loaded only when telemetry is started: a
 * process where no @opentelemetry package resolves runs `steward run` fine and gets a clear error
 * for `--otel`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { pluginHostControl, startTelemetry } from '../../src/monitor/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { PluginFixtures } from '../helpers/plugin-fixtures.js';
import { killAllFixtures, startFixture } from '../node/fixture-process.js';
import { OtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

const CLI = '../../../src/cli/main.ts'; // relative to test/fixtures/node
const ROOT = join(import.meta.dirname, '../..');

let fx: PluginFixtures;
let receiver: OtlpReceiver;
beforeEach(async () => {
  fx = await PluginFixtures.create();
  receiver = await OtlpReceiver.start();
  await fx.plugin('cache', {
    code: `
export default {
  activate(ctx) {
    ctx.setInterval(() => {}, 60000);
    ctx.track(new Uint8Array(4096), { type: 'thumbnail', size: 4096 });
    ctx.track({}, { type: 'socket', dispose() { throw new Error('socket already closed'); } });
  },
};`,
  });
  await fx.plugin('broken', {
    code: `export default { activate() { throw new Error('cannot open the database'); } };`,
  });
});
afterEach(async () => {
  killAllFixtures();
  await receiver.close();
  await fx[Symbol.asyncDispose]();
});

function byName(spans: ReceivedSpan[], name: string, plugin: string): ReceivedSpan[] {
  return spans.filter((s) => s.name === name && s.attributes['steward.plugin.id'] === plugin);
}

describe('startTelemetry', () => {
  it('exports steward.* and runtime metrics and lifecycle spans over OTLP/HTTP protobuf', async () => {
    const manager = new ResourceManager();
    const host = new PluginHost({ manager, dirs: [fx.dir], log: () => {} });
    const control = pluginHostControl(host);
    const telemetry = await startTelemetry(manager, {
      endpoint: receiver.endpoint,
      exportIntervalMs: 60_000,
      plugins: control,
      host,
      serviceName: 'gallery-app',
    });
    await host.start();
    await telemetry.flush();
    expect(receiver.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true);

    const components = receiver.latest('steward.components')!;
    expect(components.resource['service.name']).toBe('gallery-app');
    expect(components.points).toContainEqual({
      attributes: { 'steward.component.type': 'plugin', 'steward.component.state': 'active' },
      value: 1,
    });
    const resources = receiver.latest('steward.resources')!;
    expect(resources.points).toContainEqual({
      attributes: { 'steward.resource.type': 'thumbnail' },
      value: 1,
    });
    const bytes = receiver.latest('steward.memory.usage')!;
    expect(bytes.unit).toBe('By');
    expect(bytes.points).toContainEqual({
      attributes: { 'steward.resource.type': 'thumbnail' },
      value: 4096,
    });
    expect(receiver.latest('steward.resources.tracked')).toMatchObject({ kind: 'sum' });
    expect(receiver.latest('steward.plugin.state')!.points).toContainEqual({
      attributes: {
        'steward.plugin.id': 'broken',
        'steward.plugin.state': 'failed',
        'steward.plugin.isolation': 'inline',
      },
      value: 1,
    });
    // Runtime conventions.
    const heap = receiver.latest('v8js.memory.heap.used')!;
    expect(heap.unit).toBe('By');
    expect(heap.points.map((p) => p.attributes['v8js.heap.space.name'])).toContain('old_space');
    expect(
      heap.points.every((p) => p.value > 0 || p.attributes['v8js.heap.space.name'] !== 'old_space'),
    ).toBe(true);
    const elu = receiver.latest('nodejs.eventloop.utilization')!;
    expect(elu.points[0]!.value).toBeGreaterThanOrEqual(0);
    expect(elu.points[0]!.value).toBeLessThanOrEqual(1);
    expect(
      receiver
        .latest('nodejs.eventloop.time')!
        .points.map((p) => p.attributes['nodejs.eventloop.state'])
        .sort(),
    ).toEqual(['active', 'idle']);
    expect(receiver.latest('process.memory.usage')!.points[0]!.value).toBeGreaterThan(10 * 2 ** 20);
    expect(
      receiver
        .latest('process.cpu.time')!
        .points.map((p) => p.attributes['cpu.mode'])
        .sort(),
    ).toEqual(['system', 'user']);
    expect(
      receiver
        .latest('v8js.resource.active')!
        .points.some((p) => p.attributes['v8js.resource.type'] === 'Timeout'),
    ).toBe(true);

    // Spans: a load and an activate per plugin; the failed activation has status ERROR.
    expect(byName(receiver.spans, 'steward.plugin.load', 'cache')).toHaveLength(1);
    expect(byName(receiver.spans, 'steward.plugin.activate', 'cache')[0]!.status.code).toBe(0);
    const failed = byName(receiver.spans, 'steward.plugin.activate', 'broken')[0]!;
    expect(failed.status).toEqual({ code: 2, message: 'activate: cannot open the database' });
    expect(failed.events.map((e) => e.name)).toContain('exception');

    // A reload through the instrumented control: one reload span, parent of its phases; the
    // deactivation carries the disposer's error as an exception event with the resource.
    await telemetry.control(control).reload('cache');
    await telemetry.flush();
    const reload = byName(receiver.spans, 'steward.plugin.reload', 'cache')[0]!;
    const children = receiver.spans.filter((s) => s.parentSpanId === reload.spanId).map((s) => s.name);
    expect(children.sort()).toEqual([
      'steward.plugin.activate',
      'steward.plugin.deactivate',
      'steward.plugin.load',
    ]);
    const deactivate = receiver.spans.find(
      (s) => s.parentSpanId === reload.spanId && s.name === 'steward.plugin.deactivate',
    )!;
    expect(deactivate.traceId).toBe(reload.traceId);
    expect(deactivate.attributes['steward.cleanup.failed']).toBe(1);
    expect(deactivate.events).toContainEqual({
      name: 'exception',
      attributes: expect.objectContaining({
        'exception.type': 'Error',
        'exception.message': 'socket already closed',
        'steward.resource.type': 'socket',
        'steward.component.id': 'cache',
      }),
    });
    // An unload the host does on its own still gets its span.
    await host.unload('cache');
    await telemetry.flush();
    expect(byName(receiver.spans, 'steward.plugin.unload', 'cache')).toHaveLength(1);
    // The event-loop delay histogram has had time to take samples by now (every 20 ms).
    expect(receiver.latest('nodejs.eventloop.delay.p99')?.unit).toBe('s');
    expect(await telemetry.collect()).toBeGreaterThan(20);
    await telemetry.shutdown();
    await host.dispose();
    await manager.dispose({ force: true });
  });

  it('checks its options', async () => {
    const manager = new ResourceManager();
    await expect(startTelemetry(manager, { endpoint: 'not a url' })).rejects.toThrow(/is not a URL/);
    await expect(startTelemetry(manager, { endpoint: 'ftp://x' })).rejects.toThrow(/http: or https:/);
    await expect(startTelemetry(manager, { exportIntervalMs: 0 })).rejects.toThrow(
      /exportIntervalMs must be an integer/,
    );
  });
});

describe('steward run --otel', () => {
  it('exports to OTEL_EXPORTER_OTLP_ENDPOINT, and the deactivation spans at shutdown', async () => {
    const run = startFixture(CLI, ['run', fx.dir, '--otel'], {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '300',
      OTEL_SERVICE_NAME: 'otel-test',
    });
    await run.waitFor(/^telemetry: OTLP\/HTTP to http:\/\/127\.0\.0\.1/, 'stderr');
    await expect
      .poll(() => receiver.latest('steward.components')?.resource['service.name'], { timeout: 10_000 })
      .toBe('otel-test');
    await expect
      .poll(() => byName(receiver.spans, 'steward.plugin.activate', 'cache').length, { timeout: 10_000 })
      .toBe(1);
    run.child.kill('SIGTERM');
    expect((await run.exited).code).toBe(143);
    const deactivate = byName(receiver.spans, 'steward.plugin.deactivate', 'cache')[0]!;
    expect(deactivate.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toBe(
      'socket already closed',
    );
  });

  it('without the OpenTelemetry SDK: `run` works, `--otel` says what to install', async () => {
    const noOtel = { NODE_OPTIONS: `--import=${join(ROOT, 'test/fixtures/node/no-otel.mjs')}` };
    const plain = startFixture(CLI, ['run', fx.dir], noOtel);
    await plain.waitFor(/press Ctrl-C to stop/, 'stderr');
    plain.child.kill('SIGTERM');
    expect((await plain.exited).code).toBe(143);
    const otel = startFixture(CLI, ['run', fx.dir, '--otel'], noOtel);
    const { code } = await otel.exited;
    expect(code).toBe(1);
    expect(otel.stderr()).toMatch(
      /OpenTelemetry export needs the OpenTelemetry SDK.*npm install @opentelemetry\/api@1\.9 /s,
    );
  });

  it('the OpenTelemetry packages are optional peers, not dependencies of steward', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const name of ['@opentelemetry/api', '@opentelemetry/sdk-metrics', '@opentelemetry/sdk-trace']) {
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(pkg.peerDependencies?.[name], name).toBeDefined();
      expect(pkg.peerDependenciesMeta?.[name]?.optional, name).toBe(true);
    }
  });
});
