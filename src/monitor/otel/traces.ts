/**
 * Trace spans of the plugin lifecycle, built from a PluginHost's public events: one span per
 * phase — `steward.plugin.load`, `.activate`, `.deactivate` — and per operation — `.reload`,
 * `.unload`. A deactivation's disposer failures are span events (`exception`, with the resource),
 * abandoned disposers `steward.disposer.abandoned` events; a failed phase has status ERROR and
 * the exception recorded. Operations started through `wrap()` (the monitor's actions, `steward
 * run`) are parents of their phases; operations the host starts itself (hot reload) get their
 * span from the host's `reloaded` / `unloaded` events, beside their phases.
 */
import {
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { CleanupReport, Subscription } from '../../core/index.js';
import type { PluginHost } from '../../plugins/index.js';

/** Time now, ms since the epoch with sub-millisecond precision. */
const now = (): number => performance.timeOrigin + performance.now();

function errorOf(error: unknown): Error {
  // steward-allow-plain-error: a thrown non-Error value as the Error a span records; never thrown
  return error instanceof Error ? error : new Error(String(error));
}

/** Disposer failures and abandoned disposers of a cleanup report, as events of `span`. */
export function addReportEvents(span: Span, report: CleanupReport | undefined): void {
  if (!report) return;
  span.setAttributes({
    'steward.cleanup.released': report.released,
    'steward.cleanup.failed': report.failed.length,
    'steward.cleanup.abandoned': report.abandoned.length,
    'steward.cleanup.deadline_exceeded': report.deadlineExceeded,
  });
  for (const f of report.failed) {
    const error = errorOf(f.error);
    span.addEvent('exception', {
      'exception.type': error.name,
      'exception.message': error.message,
      ...(error.stack ? { 'exception.stacktrace': error.stack } : {}),
      'steward.component.id': f.componentId,
      'steward.resource.id': f.resourceId,
      'steward.resource.type': f.type,
    });
  }
  for (const a of report.abandoned) {
    span.addEvent('steward.disposer.abandoned', {
      'exception.message': errorOf(a.error).message,
      'steward.component.id': a.componentId,
      'steward.resource.id': a.resourceId,
      'steward.resource.type': a.type,
    });
  }
}

/** Lifecycle spans of one host. */
export class LifecycleTracer {
  readonly #tracer: Tracer;
  readonly #host: PluginHost;
  readonly #subscriptions: Subscription[];
  readonly #activating = new Map<string, number>();
  readonly #deactivating = new Map<string, number>();
  /** Deactivate spans waiting for the state the plugin ends in (loaded, unloaded or failed). */
  readonly #ending = new Map<string, Span>();
  #operation: { span: Span; ctx: Context; name: string; id: string } | undefined;

  constructor(tracer: Tracer, host: PluginHost) {
    this.#tracer = tracer;
    this.#host = host;
    this.#subscriptions = [
      host.on('stateChanged', ({ id, from, to }) => {
        if (to === 'activating') this.#activating.set(id, now());
        if (to === 'deactivating') this.#deactivating.set(id, now());
        if (from === 'deactivating' && to !== 'failed') this.#ending.get(id)?.end();
        if (from === 'deactivating' && to !== 'failed') this.#ending.delete(id);
      }),
      host.on('loaded', ({ id, ms, generation }) => {
        this.#phase('load', id, now() - ms, { 'steward.plugin.generation': generation }).end();
      }),
      host.on('activated', ({ id, ms }) => {
        this.#phase('activate', id, this.#activating.get(id) ?? now() - ms).end();
        this.#activating.delete(id);
      }),
      host.on('deactivated', ({ id, ms, report }) => {
        const span = this.#phase('deactivate', id, this.#deactivating.get(id) ?? now() - ms);
        addReportEvents(span, report);
        this.#ending.set(id, span);
      }),
      host.on('failed', ({ id, phase, error }) => {
        const pending = this.#ending.get(id);
        const span =
          pending ??
          this.#phase(
            phase === 'import' ? 'load' : phase === 'deactivate' ? 'deactivate' : 'activate',
            id,
            this.#activating.get(id) ?? now(),
            {
              'steward.plugin.failure_phase': phase,
            },
          );
        this.#ending.delete(id);
        this.#activating.delete(id);
        span.recordException(errorOf(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${phase}: ${errorOf(error).message}` });
        span.end();
      }),
      host.on('reloaded', ({ id, ms, plugins }) => {
        if (this.#operation?.name === 'reload' && this.#operation.id === id) {
          this.#operation.span.setAttribute('steward.plugins', [...plugins]);
          return;
        }
        const span = this.#tracer.startSpan('steward.plugin.reload', {
          startTime: now() - ms,
          attributes: this.#attributes(id),
        });
        span.setAttribute('steward.plugins', [...plugins]);
        span.end();
      }),
      host.on('unloaded', ({ id }) => {
        if (this.#operation?.name === 'unload' && this.#operation.id === id) return;
        const start = this.#deactivating.get(id) ?? now();
        this.#tracer
          .startSpan('steward.plugin.unload', { startTime: start, attributes: this.#attributes(id) })
          .end();
      }),
    ];
  }

  /** Run `fn` (an operation on plugin `id`) inside a `steward.plugin.<name>` span, parent of its phases. */
  async wrap<T>(name: 'reload' | 'unload' | 'deactivate', id: string, fn: () => Promise<T>): Promise<T> {
    const span = this.#tracer.startSpan(`steward.plugin.${name}`, { attributes: this.#attributes(id) });
    const previous = this.#operation;
    this.#operation = { span, ctx: trace.setSpan(ROOT_CONTEXT, span), name, id };
    try {
      const result = await fn();
      const state = this.#host.get(id)?.state;
      if (state) span.setAttribute('steward.plugin.state', state);
      if (state === 'failed')
        span.setStatus({ code: SpanStatusCode.ERROR, message: this.#host.get(id)?.error ?? 'failed' });
      return result;
    } catch (error) {
      span.recordException(errorOf(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: errorOf(error).message });
      throw error;
    } finally {
      this.#operation = previous;
      span.end();
    }
  }

  /** Stop listening; spans still open are ended. */
  close(): void {
    for (const sub of this.#subscriptions) sub.dispose();
    for (const span of this.#ending.values()) span.end();
    this.#ending.clear();
  }

  #attributes(id: string): Record<string, string | number> {
    const p = this.#host.get(id);
    return {
      'steward.plugin.id': id,
      ...(p
        ? {
            'steward.plugin.version': p.version,
            'steward.plugin.isolation': p.isolation,
            'steward.plugin.generation': p.generation,
          }
        : {}),
    };
  }

  #phase(name: string, id: string, startTime: number, extra: Record<string, string | number> = {}): Span {
    return this.#tracer.startSpan(
      `steward.plugin.${name}`,
      { startTime, attributes: { ...this.#attributes(id), ...extra } },
      this.#operation?.ctx ?? ROOT_CONTEXT,
    );
  }
}
