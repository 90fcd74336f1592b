/**
 * Steward's own OpenTelemetry instruments (`steward.*`), observed from `manager.stats()` once per
 * collection (a batch callback) and from the manager's and the plugin host's events. Attribute
 * values are bounded like the Prometheus labels: 20 component types, `maxResourceTypes` resource
 * types (the rest `_other`).
 */
import type { Attributes, BatchObservableResult, Meter, Observable } from '@opentelemetry/api';
import type { ManagerStats, ResourceManager, Subscription } from '../../core/index.js';
import { BoundedLabel } from '../metrics.js';
import type { PluginControl } from '../plugin-control.js';

/** What the instruments observe. */
export interface InstrumentSources {
  readonly manager: ResourceManager;
  readonly plugins: PluginControl | undefined;
  readonly maxResourceTypes: number;
}

const COUNTERS: ReadonlyArray<[keyof ManagerStats, string, string, string]> = [
  [
    'resourcesTracked',
    'steward.resources.tracked',
    '{resource}',
    'Resources tracked since the manager was created.',
  ],
  [
    'resourcesReleased',
    'steward.resources.released',
    '{resource}',
    'Resources released since the manager was created.',
  ],
  [
    'disposerFailures',
    'steward.disposer.failures',
    '{failure}',
    'Disposers and cleanup callbacks that threw or rejected.',
  ],
  [
    'disposerTimeouts',
    'steward.disposer.timeouts',
    '{timeout}',
    'Async disposers abandoned at their timeout or deadline.',
  ],
  ['evictions', 'steward.memory.evictions', '{resource}', 'Resources released by the evict memory policy.'],
  ['rejections', 'steward.memory.rejections', '{request}', 'Requests refused by the reject memory policy.'],
  ['componentsRegistered', 'steward.components.registered', '{component}', 'Components registered.'],
  ['componentsDestroyed', 'steward.components.destroyed', '{component}', 'Components destroyed.'],
];

/** Register the `steward.*` instruments on `meter`; returns what to dispose. */
export function registerInstruments(meter: Meter, sources: InstrumentSources): Subscription[] {
  const { manager, plugins } = sources;
  const componentTypes = new BoundedLabel(20);
  const resourceTypes = new BoundedLabel(sources.maxResourceTypes);
  const components = meter.createObservableGauge('steward.components', {
    unit: '{component}',
    description: 'Live components by component type and lifecycle state.',
  });
  const resources = meter.createObservableGauge('steward.resources', {
    unit: '{resource}',
    description: 'Live resources by resource type.',
  });
  const bytes = meter.createObservableGauge('steward.memory.usage', {
    unit: 'By',
    description: 'Bytes declared by live resources, by resource type.',
  });
  const limit = meter.createObservableGauge('steward.memory.limit', {
    unit: 'By',
    description: 'The manager-wide memory limit (absent without one).',
  });
  const counters = COUNTERS.map(([key, name, unit, description]) => ({
    key,
    instrument: meter.createObservableCounter(name, { unit, description }),
  }));
  const observables = [components, resources, bytes, limit, ...counters.map((c) => c.instrument)];
  const pluginState = plugins
    ? meter.createObservableGauge('steward.plugin.state', {
        unit: '1',
        description: 'Plugin lifecycle state: 1 for the state each plugin is in.',
      })
    : undefined;
  const restarts = plugins
    ? meter.createObservableCounter('steward.plugin.restarts', {
        unit: '{restart}',
        description: 'Restarts of a plugin after crashes.',
      })
    : undefined;
  if (pluginState && restarts) observables.push(pluginState, restarts);

  meter.addBatchObservableCallback((result) => {
    const stats = manager.stats();
    const byTypeState = new Map<string, { attrs: Attributes; n: number }>();
    for (const c of Object.values(stats.byComponent)) {
      const type = componentTypes.of(c.type);
      const key = `${type}\0${c.state}`;
      const entry = byTypeState.get(key) ?? {
        attrs: { 'steward.component.type': type, 'steward.component.state': c.state },
        n: 0,
      };
      entry.n++;
      byTypeState.set(key, entry);
    }
    for (const { attrs, n } of byTypeState.values()) result.observe(components, n, attrs);
    observeByType(result, stats, resourceTypes, resources, bytes);
    if (stats.memoryLimit) result.observe(limit, stats.memoryLimit.bytes);
    for (const { key, instrument } of counters) result.observe(instrument, stats[key] as number);
    if (plugins && pluginState && restarts) {
      for (const p of plugins.list()) {
        result.observe(pluginState, 1, {
          'steward.plugin.id': p.id,
          'steward.plugin.state': p.state,
          'steward.plugin.isolation': p.isolation,
        });
        result.observe(restarts, p.restarts ?? 0, { 'steward.plugin.id': p.id });
      }
    }
  }, observables);

  const leaks = meter.createCounter('steward.leaks', {
    unit: '{leak}',
    description: 'Leaks reported since telemetry started, by kind.',
  });
  const cleanups = meter.createHistogram('steward.cleanup.duration', {
    unit: 's',
    description: 'Duration of component cleanups, by component type.',
    advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] },
  });
  return [
    manager.on('leakDetected', (e) => leaks.add(1, { 'steward.leak.kind': e.kind })),
    manager.on('cleanupFinished', (e) =>
      cleanups.record(e.report.durationMs / 1000, {
        'steward.component.type': componentTypes.of(e.component.type),
      }),
    ),
  ];
}

function observeByType(
  result: BatchObservableResult,
  stats: ManagerStats,
  types: BoundedLabel,
  resources: Observable,
  bytes: Observable,
): void {
  const totals = new Map<string, { count: number; bytes: number }>();
  for (const [type, t] of Object.entries(stats.byType)) {
    const label = types.of(type);
    const entry = totals.get(label) ?? { count: 0, bytes: 0 };
    entry.count += t.count;
    entry.bytes += t.bytes;
    totals.set(label, entry);
  }
  for (const [type, t] of totals) {
    const attrs = { 'steward.resource.type': type };
    result.observe(resources, t.count, attrs);
    result.observe(bytes, t.bytes, attrs);
  }
}
