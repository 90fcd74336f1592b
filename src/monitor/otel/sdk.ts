/**
 * The OpenTelemetry SDK side of `startTelemetry`: a MeterProvider with a periodic OTLP/HTTP
 * (protobuf) metric exporter and a TracerProvider with a batching OTLP/HTTP (protobuf) span
 * exporter, neither registered globally (Steward never takes over an application's own
 * OpenTelemetry set-up). This module imports the SDK packages; it is only ever loaded by
 * `import()` from telemetry.ts, so nothing of OpenTelemetry is in Steward's static import graph.
 */
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import {
  defaultResource,
  detectResources,
  envDetector,
  resourceFromAttributes,
} from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ResourceManager, Subscription } from '../../core/index.js';
import type { PluginHost } from '../../plugins/index.js';
import type { PluginControl } from '../plugin-control.js';
import { registerInstruments } from './instruments.js';
import { registerRuntime } from './runtime.js';
import { LifecycleTracer } from './traces.js';

/** What `createSdk` needs (validated by telemetry.ts). */
export interface SdkOptions {
  readonly endpoint: string;
  readonly serviceName: string;
  readonly exportIntervalMs: number;
  readonly runtimeMetrics: boolean;
  readonly maxResourceTypes: number;
  readonly plugins: PluginControl | undefined;
  readonly host: PluginHost | undefined;
  readonly version: string;
}

/** The running SDK. */
export interface Sdk {
  collect(): Promise<number>;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
  wrap: LifecycleTracer['wrap'] | undefined;
}

/** Build and start the providers, instruments and lifecycle spans of `manager`. */
export function createSdk(manager: ResourceManager, options: SdkOptions): Sdk {
  const resource = defaultResource()
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      resourceFromAttributes({
        'service.name': options.serviceName,
        'process.pid': process.pid,
        'process.runtime.name': 'nodejs',
        'process.runtime.version': process.versions.node,
        'telemetry.distro.name': 'steward',
        'telemetry.distro.version': options.version,
      }),
    );
  const base = options.endpoint.replace(/\/+$/, '');
  const reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics` }),
    exportIntervalMillis: options.exportIntervalMs,
    exportTimeoutMillis: Math.min(options.exportIntervalMs, 10_000),
  });
  const meterProvider = new MeterProvider({ resource, readers: [reader] });
  const meter = meterProvider.getMeter('steward', options.version);
  const subscriptions: Subscription[] = registerInstruments(meter, {
    manager,
    plugins: options.plugins,
    maxResourceTypes: options.maxResourceTypes,
  });
  const stopRuntime = options.runtimeMetrics ? registerRuntime(meter) : undefined;
  let tracerProvider: TracerProvider | undefined;
  let lifecycle: LifecycleTracer | undefined;
  if (options.host) {
    tracerProvider = new TracerProvider({
      resource,
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${base}/v1/traces` }) }),
      ],
    });
    lifecycle = new LifecycleTracer(tracerProvider.getTracer('steward', options.version), options.host);
  }
  return {
    async collect() {
      const { resourceMetrics } = await reader.collect();
      return resourceMetrics.scopeMetrics.reduce((n, s) => n + s.metrics.length, 0);
    },
    async flush() {
      await Promise.all([meterProvider.forceFlush(), tracerProvider?.forceFlush()]);
    },
    async shutdown() {
      for (const sub of subscriptions) sub.dispose();
      stopRuntime?.();
      lifecycle?.close();
      await Promise.all([meterProvider.shutdown(), tracerProvider?.shutdown()]);
    },
    wrap: lifecycle ? lifecycle.wrap.bind(lifecycle) : undefined,
  };
}
