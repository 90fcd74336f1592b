/**
 * Error classes of the core. Every message says what was wrong, where, and what to do next.
 */
import type { CleanupReport } from './report.js';

/** Options of a {@link StewardError}: the standard `cause`, and the error's stable `code`. */
export interface StewardErrorOptions extends ErrorOptions {
  /** A stable identifier such as `STEWARD_MANIFEST_INVALID`; default `STEWARD_ERROR`. */
  readonly code?: string;
}

/** Marks the errors that are Steward's own but cannot extend StewardError (see below). */
const STEWARD = Symbol.for('steward.error');

/** Brand `cls`'s instances as Steward's own: `instanceof StewardError` holds for them. */
function brand(cls: { prototype: object }): void {
  Object.defineProperty(cls.prototype, STEWARD, { value: true });
}

// steward-allow-plain-error: the base class of them all (for the doc comment below)
/**
 * Base class of Steward's own errors (not of errors thrown by user disposers). `code` is stable
 * (as Node's `ERR_*` codes are): branch on it, not on the message, which may be reworded.
 * A subclass declares its code as `static readonly code = '…'` (every instance carries it); a
 * plain `StewardError` takes it from its options (default `STEWARD_ERROR`).
 *
 * `error instanceof StewardError` is also true for the three of Steward's errors that must keep
 * a built-in class: {@link StewardTypeError}, {@link StewardRangeError} (bad arguments, as
 * Node's `ERR_INVALID_ARG_TYPE` is a `TypeError`) and {@link CleanupError} (an `AggregateError`).
 * Code `STEWARD_ERROR` unless given.
 */
export class StewardError extends Error {
  /** The code of this class's errors. */
  static readonly code: string = 'STEWARD_ERROR';
  override name = 'StewardError';
  /** What went wrong, as a stable identifier (`STEWARD_*`). */
  readonly code: string;
  constructor(message?: string, options?: StewardErrorOptions) {
    super(message, options);
    this.code = options?.code ?? (new.target as { code?: string }).code ?? 'STEWARD_ERROR';
  }

  /** `instanceof StewardError` holds for subclasses and for Steward's branded built-in errors. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class right of `instanceof` (a subclass too).
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    // biome-ignore lint/complexity/noThisInStatic: as above; only StewardError itself takes branded errors.
    return this === StewardError && typeof value === 'object' && value !== null && STEWARD in value;
  }
}

/**
 * A bad argument to a Steward API: wrong type (`TypeError`), as Node throws. Also
 * `instanceof StewardError`. Code `STEWARD_INVALID_ARGUMENT`.
 */
export class StewardTypeError extends TypeError {
  /** The code of this class's errors. */
  static readonly code: string = 'STEWARD_INVALID_ARGUMENT';
  override name = 'TypeError';
  /** `STEWARD_INVALID_ARGUMENT` (a subclass may have its own). */
  readonly code: string = StewardTypeError.code;
}
brand(StewardTypeError);

/**
 * A bad argument to a Steward API: a value out of range (`RangeError`), as Node throws. Also
 * `instanceof StewardError`. Code `STEWARD_OUT_OF_RANGE`.
 */
export class StewardRangeError extends RangeError {
  /** The code of this class's errors. */
  static readonly code = 'STEWARD_OUT_OF_RANGE';
  override name = 'RangeError';
  /** `STEWARD_OUT_OF_RANGE`. */
  readonly code = StewardRangeError.code;
}
brand(StewardRangeError);

/**
 * Thrown when a resource is tracked into (or a child registered under) a component that
 * is cleaning up or destroyed. The value has already been disposed when this is thrown,
 * so nothing leaks. `cause` carries the stack of the cleanup call when leak tracking is on.
 * Code `STEWARD_USE_AFTER_CLEANUP`.
 */
export class UseAfterCleanupError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_USE_AFTER_CLEANUP';
  override name = 'UseAfterCleanupError';
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
        ? // steward-allow-plain-error: a cause that only carries the stack of the cleanup call
          { cause: Object.assign(new Error('cleanup was started here'), { stack: cleanedAt }) }
        : undefined,
    );
    this.componentId = componentId;
  }
}

/** Thrown on an illegal lifecycle transition, e.g. `destroyed → active`. Code `STEWARD_ILLEGAL_TRANSITION`. */
export class IllegalTransitionError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_ILLEGAL_TRANSITION';
  override name = 'IllegalTransitionError';
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

/**
 * Thrown by `track`/`resize` when a memory limit with the `reject` policy would be exceeded.
 * Code `STEWARD_MEMORY_LIMIT`.
 */
export class MemoryLimitError extends StewardError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_MEMORY_LIMIT';
  override name = 'MemoryLimitError';
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
 * Code `STEWARD_DISPOSER_TIMEOUT`.
 */
export class DisposerTimeoutError extends StewardError {
  override name = 'DisposerTimeoutError';
  static override readonly code = 'STEWARD_DISPOSER_TIMEOUT';
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
 * A bad argument or option of the core: the wrong type, a number out of range, a value that
 * cannot be tracked. The message says what was wrong, where, and what to pass instead; nothing
 * was done. A `StewardTypeError` (so `instanceof TypeError` and `instanceof StewardError`).
 * Code `STEWARD_BAD_ARGUMENT`.
 */
export class InvalidArgumentError extends StewardTypeError {
  /** The code of this class's errors. */
  static override readonly code: string = 'STEWARD_BAD_ARGUMENT';
  override name = 'InvalidArgumentError';
  /** `STEWARD_BAD_ARGUMENT` (a subclass may have its own). */
  override readonly code: string = InvalidArgumentError.code;
}

/**
 * An options object with a key Steward does not know (often a typo); names the nearest known
 * key. Code `STEWARD_UNKNOWN_OPTION`.
 */
export class UnknownOptionError extends InvalidArgumentError {
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_UNKNOWN_OPTION';
  override name = 'UnknownOptionError';
  /** `STEWARD_UNKNOWN_OPTION`. */
  override readonly code: string = UnknownOptionError.code;
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
 * Every disposer has run by the time this is thrown. Code `STEWARD_CLEANUP_FAILED`; also
 * `instanceof StewardError`.
 */
export class CleanupError extends AggregateError {
  /** The code of this class's errors. */
  static readonly code = 'STEWARD_CLEANUP_FAILED';
  override name = 'CleanupError';
  /** `STEWARD_CLEANUP_FAILED`. */
  readonly code = CleanupError.code;
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
brand(CleanupError);

/** Where in the arguments a value was invalid, for TypeError/RangeError messages. */
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
