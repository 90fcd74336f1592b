/**
 * The Node.js runtime metrics of OpenTelemetry's semantic conventions, read with Node's own APIs
 * (no instrumentation package, nothing patched): `v8js.memory.heap.*` per heap space,
 * `v8js.gc.duration`, `v8js.resource.active`, `nodejs.eventloop.delay.*`,
 * `nodejs.eventloop.utilization`, `nodejs.eventloop.time`, `process.cpu.time`,
 * `process.memory.usage`. Names, units and attributes as the conventions define them.
 */
import {
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Meter } from '@opentelemetry/api';
import { activeHandles } from '../process-stats.js';

/** V8's GC kinds (perf_hooks `detail.kind`) → `v8js.gc.type`. */
const GC_TYPES: Readonly<Record<number, string>> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

/** Register the runtime instruments on `meter`; returns a function that stops their observers. */
export function registerRuntime(meter: Meter): () => void {
  const delay: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const space = (name: string, description: string) =>
    meter.createObservableUpDownCounter(name, { unit: 'By', description });
  const heapUsed = space('v8js.memory.heap.used', 'Heap memory used, by heap space.');
  const heapSize = space('v8js.memory.heap.space.size', 'Heap memory reserved for a heap space.');
  const heapAvailable = space('v8js.memory.heap.space.available_size', 'Heap space available size.');
  const heapPhysical = space('v8js.memory.heap.space.physical_size', 'Committed size of a heap space.');
  const delays = (['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const).map((stat) => ({
    stat,
    gauge: meter.createObservableGauge(`nodejs.eventloop.delay.${stat}`, {
      unit: 's',
      description: `Event loop ${stat} delay (perf_hooks.monitorEventLoopDelay).`,
    }),
  }));
  const utilization = meter.createObservableGauge('nodejs.eventloop.utilization', {
    unit: '1',
    description: 'Event loop utilization since the previous collection.',
  });
  const loopTime = meter.createObservableCounter('nodejs.eventloop.time', {
    unit: 's',
    description: 'Cumulative time the event loop spent in each state.',
  });
  const cpu = meter.createObservableCounter('process.cpu.time', {
    unit: 's',
    description: 'CPU seconds by mode.',
  });
  const memory = meter.createObservableUpDownCounter('process.memory.usage', {
    unit: 'By',
    description: 'Resident set size of the process.',
  });
  const handles = meter.createObservableUpDownCounter('v8js.resource.active', {
    unit: '{resource}',
    description: 'Active resources keeping the event loop alive, by type.',
  });
  let lastElu = performance.eventLoopUtilization();
  meter.addBatchObservableCallback(
    (result) => {
      for (const s of getHeapSpaceStatistics()) {
        const attrs = { 'v8js.heap.space.name': s.space_name };
        result.observe(heapUsed, s.space_used_size, attrs);
        result.observe(heapSize, s.space_size, attrs);
        result.observe(heapAvailable, s.space_available_size, attrs);
        result.observe(heapPhysical, s.physical_space_size, attrs);
      }
      if (delay.count > 0) {
        const value = {
          min: delay.min,
          max: delay.max,
          mean: delay.mean,
          stddev: delay.stddev,
          p50: delay.percentile(50),
          p90: delay.percentile(90),
          p99: delay.percentile(99),
        };
        for (const { stat, gauge } of delays) result.observe(gauge, value[stat] / 1e9);
        delay.reset();
      }
      const elu = performance.eventLoopUtilization();
      result.observe(utilization, performance.eventLoopUtilization(elu, lastElu).utilization);
      lastElu = elu;
      result.observe(loopTime, elu.active / 1000, { 'nodejs.eventloop.state': 'active' });
      result.observe(loopTime, elu.idle / 1000, { 'nodejs.eventloop.state': 'idle' });
      const usage = process.cpuUsage();
      result.observe(cpu, usage.user / 1e6, { 'cpu.mode': 'user' });
      result.observe(cpu, usage.system / 1e6, { 'cpu.mode': 'system' });
      result.observe(memory, process.memoryUsage.rss());
      for (const [type, n] of Object.entries(activeHandles()))
        result.observe(handles, n, { 'v8js.resource.type': type });
    },
    [
      heapUsed,
      heapSize,
      heapAvailable,
      heapPhysical,
      ...delays.map((d) => d.gauge),
      utilization,
      loopTime,
      cpu,
      memory,
      handles,
    ],
  );
  const gc = meter.createHistogram('v8js.gc.duration', {
    unit: 's',
    description: 'Garbage collection duration, by kind.',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      gc.record(entry.duration / 1000, { 'v8js.gc.type': GC_TYPES[kind] ?? 'unknown' });
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    observer.disconnect();
    delay.disable();
  };
}
