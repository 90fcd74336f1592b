/**
 * OpenTelemetry export of a manager (and, optionally, a plugin host): Steward's `steward.*`
 * metrics, the Node.js runtime metrics of the semantic conventions, and spans of the plugin
 * lifecycle, sent over OTLP/HTTP (protobuf) to `OTEL_EXPORTER_OTLP_ENDPOINT`.
 *
 * The OpenTelemetry packages are optional peer dependencies: they are loaded by `import()` when
 * `startTelemetry()` is called, never by importing `steward/monitor`, so an application that does
 * not export telemetry neither installs nor loads them.
 */
import { readFile } from 'node:fs/promises';
import { StewardRangeError, StewardTypeError } from '../core/errors.js';
import { type ResourceManager, StewardError } from '../core/index.js';
import type { PluginHost } from '../plugins/index.js';
import type { PluginControl } from './plugin-control.js';

/** Options of `startTelemetry`. */
export interface TelemetryOptions {
  /**
   * Base URL of the OTLP/HTTP receiver (`/v1/metrics` and `/v1/traces` are appended). Default:
   * `OTEL_EXPORTER_OTLP_ENDPOINT`, else `http://localhost:4318` (the OTLP default).
   */
  readonly endpoint?: string;
  /** `service.name`. Default: `OTEL_SERVICE_NAME`, else `steward`. */
  readonly serviceName?: string;
  /** Metric export period, ms. Default: `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  readonly exportIntervalMs?: number;
  /** Export the `v8js.*`, `nodejs.*` and `process.*` runtime metrics. Default true. */
  readonly runtimeMetrics?: boolean;
  /** Distinct `steward.resource.type` values. Default 50. */
  readonly maxResourceTypes?: number;
  /** The plugins, for `steward.plugin.state` and `steward.plugin.restarts`. */
  readonly plugins?: PluginControl;
  /** The plugin host, for lifecycle spans (load, activate, deactivate, unload, reload). */
  readonly host?: PluginHost;
}

/** A running telemetry export. `shutdown()` (or `await using`) flushes and stops it. */
export interface Telemetry extends AsyncDisposable {
  /** The OTLP base URL in use. */
  readonly endpoint: string;
  /**
   * `plugins` with its reload, unload and deactivate inside operation spans (parents of the
   * phases they cause). Pass the result to `startMonitor` so the monitor's actions are traced.
   */
  control(plugins: PluginControl): PluginControl;
  /** Collect the metrics now (what an export does, without sending); resolves with the count. */
  collect(): Promise<number>;
  /** Export what is pending now. */
  flush(): Promise<void>;
  /** Flush, stop collecting and listening. Idempotent. */
  shutdown(): Promise<void>;
}

/** The packages `startTelemetry` loads (what to install). */
export const TELEMETRY_PACKAGES = [
  '@opentelemetry/api',
  '@opentelemetry/sdk-metrics',
  '@opentelemetry/sdk-trace',
  '@opentelemetry/resources',
  '@opentelemetry/exporter-metrics-otlp-proto',
  '@opentelemetry/exporter-trace-otlp-proto',
] as const;

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) {
    throw new StewardRangeError(`startTelemetry(): ${name} must be an integer >= 1 (got ${String(value)}).`);
  }
  return value;
}

function endpointOf(value: string | undefined): string {
  const raw = value ?? process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StewardTypeError(
      `startTelemetry(): the OTLP endpoint "${raw}" is not a URL; give e.g. http://localhost:4318.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StewardTypeError(`startTelemetry(): the OTLP endpoint must be http: or https: (got "${raw}").`);
  }
  return raw;
}

/**
 * Start exporting `manager`'s telemetry. Rejects with a StewardError naming the packages to
 * install when the OpenTelemetry SDK is not installed.
 */
export async function startTelemetry(
  manager: ResourceManager,
  options: TelemetryOptions = {},
): Promise<Telemetry> {
  const endpoint = endpointOf(options.endpoint);
  const envInterval = process.env.OTEL_METRIC_EXPORT_INTERVAL;
  const exportIntervalMs =
    positive(options.exportIntervalMs, 'exportIntervalMs') ??
    (envInterval && Number.isInteger(Number(envInterval)) && Number(envInterval) > 0
      ? Number(envInterval)
      : 60_000);
  const maxResourceTypes = positive(options.maxResourceTypes, 'maxResourceTypes') ?? 50;
  let sdkModule: typeof import('./otel/sdk.js');
  try {
    sdkModule = await import('./otel/sdk.js');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new StewardError(
        `OpenTelemetry export needs the OpenTelemetry SDK, which is not installed (${(error as Error).message}). ` +
          `Install it next to steward: npm install ${TELEMETRY_PACKAGES.map((p) => `${p}@${p.includes('exporter') ? '0.223' : p === '@opentelemetry/api' ? '1.9' : '2.12'}`).join(' ')}`,
        { cause: error, code: 'STEWARD_OTEL_MISSING' },
      );
    }
    throw error;
  }
  const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const sdk = sdkModule.createSdk(manager, {
    endpoint,
    serviceName: options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'steward',
    exportIntervalMs,
    runtimeMetrics: options.runtimeMetrics ?? true,
    maxResourceTypes,
    plugins: options.plugins,
    host: options.host,
    version,
  });
  let stopped: Promise<void> | undefined;
  const telemetry: Telemetry = {
    endpoint,
    control(plugins) {
      const wrap = sdk.wrap;
      if (!wrap) return plugins;
      return {
        ...plugins,
        list: () => plugins.list(),
        reload: (id) => wrap('reload', id, () => plugins.reload(id)),
        unload: (id) => wrap('unload', id, () => plugins.unload(id)),
        ...(plugins.deactivate
          ? { deactivate: (id: string) => wrap('deactivate', id, () => plugins.deactivate!(id)) }
          : {}),
        ...(plugins.onChange
          ? {
              onChange: (listener: Parameters<NonNullable<PluginControl['onChange']>>[0]) =>
                plugins.onChange!(listener),
            }
          : {}),
      };
    },
    collect: () => sdk.collect(),
    flush: () => sdk.flush(),
    shutdown() {
      stopped ??= sdk.shutdown();
      return stopped;
    },
    [Symbol.asyncDispose]() {
      return telemetry.shutdown();
    },
  };
  return telemetry;
}
