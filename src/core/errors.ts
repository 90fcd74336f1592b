/**
 * Error classes of the core. Every message says what was wrong, where, and what to do next.
 */
import type { CleanupReport } from './report.js';

/** Options of a {@link StewardError}: the standard `cause`, and the error's stable `code`. */
export interface StewardErrorOptions extends ErrorOptions {
  /** A stable identifier such as `STEWARD_MANIFEST_INVALID`; default `STEWARD_ERROR`. */
  readonly code?: string;
}

/**
 * Base class of Steward's own errors (not of errors thrown by user disposers). `code` is stable
 * (as Node's `ERR_*` codes are): branch on it, not on the message, which may be reworded.
 * A subclass fixes its code with `override readonly code = '…'`; a plain `StewardError` takes
 * it from its options.
 */
export class StewardError extends Error {
  override name = 'StewardError';
  /** What went wrong, as a stable identifier (`STEWARD_*`). */
  readonly code: string;
  constructor(message?: string, options?: StewardErrorOptions) {
    super(message, options);
    this.code = options?.code ?? 'STEWARD_ERROR';
  }
}

/**
 * Thrown when a resource is tracked into (or a child registered under) a component that
 * is cleaning up or destroyed. The value has already been disposed when this is thrown,
 * so nothing leaks. `cause` carries the stack of the cleanup call when leak tracking is on.
 */
export class UseAfterCleanupError extends StewardError {
  override name = 'UseAfterCleanupError';
  override readonly code = 'STEWARD_USE_AFTER_CLEANUP';
  /** Id of the component that was already cleaned up. */
  readonly componentId: string;
  constructor(componentId: string, state: string, what: string, cleanedAt?: string) {
    super(
      `Cannot ${what} component "${componentId}": it is ${state}. The value was disposed at once so it does not leak. ` +
        `Track resources before cleanup starts, or register a new component` +
        (cleanedAt
          ? '; see cause for where cleanup was started.'
          : ' (enable leakTracking to see where cleanup was started).'),
      cleanedAt
        ? { cause: Object.assign(new Error('cleanup was started here'), { stack: cleanedAt }) }
        : undefined,
    );
    this.componentId = componentId;
  }
}

/** Thrown on an illegal lifecycle transition, e.g. `destroyed → active`. */
export class IllegalTransitionError extends StewardError {
  override name = 'IllegalTransitionError';
  override readonly code = 'STEWARD_ILLEGAL_TRANSITION';
  constructor(
    readonly componentId: string,
    readonly from: string,
    readonly to: string,
    allowed: readonly string[],
  ) {
    super(
      `Component "${componentId}" cannot go from "${from}" to "${to}". ` +
        (allowed.length ? `From "${from}" it may go to: ${allowed.join(', ')}.` : `"${from}" is final.`) +
        (to === 'cleaning' || to === 'destroyed' ? ' Call cleanup() to clean a component up.' : ''),
    );
  }
}

/** Thrown by `track`/`resize` when a memory limit with the `reject` policy would be exceeded. */
export class MemoryLimitError extends StewardError {
  override name = 'MemoryLimitError';
  override readonly code = 'STEWARD_MEMORY_LIMIT';
  constructor(
    /** `component` for a component's subtree limit, `global` for the manager's. */
    readonly scope: 'component' | 'global',
    /** The component whose limit (or the component being tracked into, for global). */
    readonly componentId: string,
    readonly limitBytes: number,
    readonly currentBytes: number,
    readonly requestedBytes: number,
  ) {
    super(
      `Memory limit exceeded: ${scope === 'global' ? 'the manager' : `component "${componentId}"`} holds ` +
        `${currentBytes} B of ${limitBytes} B and cannot take ${requestedBytes} B more` +
        `${scope === 'global' ? ` (tracking into "${componentId}")` : ''}. Nothing was tracked; the caller still owns the value. ` +
        'Release resources first, raise the limit, or use the "evict" policy with evictable resources.',
    );
  }
}

/**
 * Which budget cut an async disposer off: its own (`disposerTimeoutMs`) or the whole cleanup's
 * deadline (`cleanupDeadlineMs`, or the `deadlineMs` option of `cleanup()`/`dispose()`).
 */
export type DisposerBudget = 'disposerTimeoutMs' | 'cleanupDeadlineMs';

/**
 * An async disposer that did not settle in time and was abandoned (cleanup went on). `budget`
 * names the option that cut it off, so the message says what to raise.
 */
export class DisposerTimeoutError extends StewardError {
  override name = 'DisposerTimeoutError';
  override readonly code = 'STEWARD_DISPOSER_TIMEOUT';
  constructor(
    readonly resourceId: number,
    readonly resourceType: string,
    readonly componentId: string,
    /** How long it was waited for, ms (0: the deadline had passed before it was called). */
    readonly timeoutMs: number,
    /** The option whose budget ran out. */
    readonly budget: DisposerBudget = 'disposerTimeoutMs',
    /** The length of that budget, ms (the whole deadline for `cleanupDeadlineMs`). */
    readonly budgetMs: number = timeoutMs,
  ) {
    super(
      budget === 'disposerTimeoutMs'
        ? `Disposer of ${resourceType} #${resourceId} in component "${componentId}" did not settle within ${timeoutMs} ms ` +
            'and was abandoned; cleanup went on. Make the disposer finish faster or raise disposerTimeoutMs.'
        : `Disposer of ${resourceType} #${resourceId} in component "${componentId}" was cut off by the cleanup deadline ` +
            `(${budgetMs} ms) ${timeoutMs > 0 ? `after ${timeoutMs} ms` : 'which had passed before it was called'} and was abandoned; ` +
            'cleanup went on. Raise cleanupDeadlineMs (or the deadlineMs option of cleanup()/dispose()), or make the disposers before it finish faster.',
    );
  }
}

/**
 * A bad argument or option: the wrong type, a number out of range, a value that cannot be
 * tracked. The message says what was wrong, where, and what to pass instead; nothing was done.
 */
export class InvalidArgumentError extends StewardError {
  override name = 'InvalidArgumentError';
  override readonly code: string = 'STEWARD_INVALID_ARGUMENT';
}

/** An options object with a key Steward does not know (often a typo); names the nearest known key. */
export class UnknownOptionError extends InvalidArgumentError {
  override name = 'UnknownOptionError';
  override readonly code: string = 'STEWARD_UNKNOWN_OPTION';
  constructor(
    where: string,
    /** The unknown key. */
    readonly key: string,
    /** The nearest known key, if one is near enough to be a likely typo. */
    readonly suggestion: string | undefined,
    known: readonly string[],
  ) {
    super(
      `${where}: unknown option ${JSON.stringify(key)}` +
        (suggestion ? ` — did you mean ${suggestion}?` : '.') +
        ` Known options: ${known.join(', ')}.`,
    );
  }
}

/**
 * Thrown (as a rejection) by `cleanup()` without `force` when any disposer failed or timed
 * out. It is an `AggregateError`: `errors` holds every failure, `report` the full report.
 * Every disposer has run by the time this is thrown.
 */
export class CleanupError extends AggregateError {
  override name = 'CleanupError';
  /** Stable code, as `StewardError`s have (this one is an `AggregateError`). */
  readonly code = 'STEWARD_CLEANUP_FAILED';
  readonly report: CleanupReport;
  constructor(report: CleanupReport) {
    const errors = [...report.failed.map((f) => f.error), ...report.abandoned.map((a) => a.error)];
    super(
      errors,
      `Cleanup of "${report.componentId}" finished with ${report.failed.length} failed and ${report.abandoned.length} ` +
        `abandoned disposer(s) out of ${report.released + report.failed.length + report.abandoned.length}. ` +
        'See errors for each failure and report for the details; pass { force: true } to get the report without throwing.',
    );
    this.report = report;
  }
}

/** A short description of a value, for the messages of errors about bad arguments. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined')
    return String(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  return Array.isArray(value)
    ? 'an array'
    : `an object (${(value as object).constructor?.name ?? 'null prototype'})`;
}
