/**
 * Cancellation: why a component's work is being stopped, the context a disposer is called with,
 * and how a disposer's signal follows its own timeout. Platform-neutral (AbortController only).
 *
 * A component's `signal` is created on first read: a component nobody asks for one costs a field.
 * A disposer's context is reused by the sweep from one synchronous disposer to the next until one
 * of them reads its `signal` or returns a promise, so a sweep of synchronous disposers allocates
 * nothing per disposer.
 */
import { StewardError } from './errors.js';
import { now } from './settle.js';

/** Why a component's work is cancelled: see {@link CancelledError}. */
export type CancelKind = 'cleanup' | 'owner-collected' | 'shutdown' | 'failure';

/**
 * The reason of an aborted `component.signal`: the component's cleanup started. Its `name` is
 * `AbortError`, so code that tells an abort from a failure by name (`fetch`, streams, most
 * libraries) treats it as one. `kind` says why: `cleanup` (asked for), `owner-collected` (its
 * owner was garbage-collected without cleanup), `shutdown` (the process is shutting down) or
 * `failure` (the component had failed; `cause` is its error). Code `STEWARD_CANCELLED`.
 */
export class CancelledError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_CANCELLED';
  override name = 'AbortError';
  override readonly code: string = CancelledError.code;
  constructor(
    /** The component whose work is cancelled. */
    readonly componentId: string,
    /** Why. */
    readonly kind: CancelKind,
    /** The reason given to `cleanup()`, if any (`deactivate`, `shutdown (SIGTERM)`…). */
    readonly reason: string | undefined,
    failure?: unknown,
  ) {
    super(
      `The work of component "${componentId}" was cancelled: ${DESCRIBE[kind]}${reason && reason !== kind ? ` (${reason})` : ''}. ` +
        'Stop what you are doing; nothing you start now will be kept.',
      kind === 'failure' ? { cause: failure } : undefined,
    );
  }
}

const DESCRIBE: Record<CancelKind, string> = {
  cleanup: 'its cleanup started',
  'owner-collected': 'its owner was garbage-collected without cleanup',
  shutdown: 'the process is shutting down',
  failure: 'it failed and is being cleaned up',
};

/**
 * The kind of a cleanup started with `reason` on a component that had (or had not) failed:
 * `owner-collected` and `shutdown…` (the reasons Steward itself gives) by name, `failure` for a
 * failed component or a reason naming one (`error`, `activation failed`), else `cleanup`.
 */
export function cancelKind(reason: string | undefined, failed: boolean): CancelKind {
  if (reason === 'owner-collected') return 'owner-collected';
  if (reason !== undefined && reason.startsWith('shutdown')) return 'shutdown';
  return failed || (reason !== undefined && /\b(error|fail(ed|ure)?)\b/i.test(reason))
    ? 'failure'
    : 'cleanup';
}

/** Whether `error` is an abort: the signal's own reason, or anything named `AbortError`. */
export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return (
    (signal.aborted && error === signal.reason) ||
    (error !== null && typeof error === 'object' && (error as { name?: unknown }).name === 'AbortError')
  );
}

/**
 * What an explicit disposer (`track(v, { dispose })`, `onCleanup`) gets as its second argument.
 * Read it while the disposer runs (before its first `await` for `deadline`); `signal` may be kept.
 */
export interface DisposerContext {
  /** Why the resource is disposed: the cleanup's reason (`cleanup` by default), `released`, `evicted`. */
  readonly reason: string;
  /**
   * Aborted when Steward stops waiting for this disposer: at its own timeout (the disposer
   * timeout, or what is left of the cleanup deadline if that is sooner). Never aborted for a
   * disposer that finishes in time. Not the component's signal: cleanup is not cancelled by the
   * signal it fires.
   */
  readonly signal: AbortSignal;
  /** When Steward stops waiting for this disposer, ms since the Unix epoch (`Infinity`: never). */
  readonly deadline: number;
}

/** @internal The context object; see `DisposerContext`. */
export class DisposeContext implements DisposerContext {
  /** @internal the signal was read or a promise returned: the next disposer needs a new context. */
  _claimed = false;
  /** @internal */
  _controller: AbortController | undefined = undefined;
  /** @internal why it was aborted before anyone read the signal. */
  _abortReason: unknown = undefined;
  /** @internal when Steward started waiting (`now()` clock), once the disposer returned a promise. */
  _awaitedAt: number | undefined = undefined;

  constructor(
    readonly reason: string,
    /** @internal the disposer timeout, ms (`Infinity`: not awaited). */
    public _timeoutMs: number,
    /** @internal the cleanup's deadline (it may move earlier while the disposer runs), if any. */
    readonly _deadline: { readonly at: number } | undefined,
  ) {}

  get deadline(): number {
    const t = now();
    const byTimeout = this._awaitedAt === undefined ? this._timeoutMs : this._awaitedAt + this._timeoutMs - t;
    const byDeadline = this._deadline === undefined ? Number.POSITIVE_INFINITY : this._deadline.at - t;
    const left = Math.min(byTimeout, byDeadline);
    return left === Number.POSITIVE_INFINITY ? left : Date.now() + Math.max(0, left);
  }

  get signal(): AbortSignal {
    this._claimed = true;
    if (this._controller === undefined) {
      this._controller = new AbortController();
      if (this._abortReason !== undefined) this._controller.abort(this._abortReason);
    }
    return this._controller.signal;
  }

  /** @internal The disposer returned a promise that Steward now awaits. */
  _awaited(): void {
    this._claimed = true;
    this._awaitedAt = now();
  }

  /** @internal Steward stopped waiting: abort the signal (now or when it is first read). */
  _abort(reason: unknown): void {
    this._claimed = true;
    this._timeoutMs = 0;
    if (this._controller) this._controller.abort(reason);
    else this._abortReason = reason;
  }
}

/** @internal Contexts of disposers nobody waits for (`release()`, eviction, a refused track): shared, never aborted. */
export const UNAWAITED = {
  released: new DisposeContext('released', Number.POSITIVE_INFINITY, undefined),
  evicted: new DisposeContext('evicted', Number.POSITIVE_INFINITY, undefined),
  refused: new DisposeContext('use-after-cleanup', Number.POSITIVE_INFINITY, undefined),
} as const;
