/**
 * What `steward/dom` needs from the JavaScript engine, checked once when the module is imported:
 * a browser without `WeakRef` or `FinalizationRegistry` gets a clear error instead of a ledger
 * whose detached-element detection silently never reports anything.
 */
import { StewardError } from '../core/index.js';

/** Thrown at import of `steward/dom` when the engine lacks what the ledger needs. */
export class DomUnsupportedError extends StewardError {
  override name = 'DomUnsupportedError';
  /** Stable code for programs that branch on the error. */
  readonly code = 'STEWARD_DOM_UNSUPPORTED';
  /** The missing globals, e.g. `['WeakRef']`. */
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    super(
      `steward/dom cannot run here: this JavaScript engine has no ${missing.join(' and ')}. ` +
        'Detached-element detection and weak ownership depend on them (Chrome/Edge 84+, Firefox 79+, ' +
        'Safari 14.1+, Electron 10+). Load steward/dom only in such an engine: a WeakRef cannot be polyfilled.',
    );
    this.missing = missing;
  }
}

/** Throws `DomUnsupportedError` unless `scope` has `WeakRef` and `FinalizationRegistry`. */
export function assertDomSupport(scope: object = globalThis): void {
  const g = scope as { WeakRef?: unknown; FinalizationRegistry?: unknown };
  const missing: string[] = [];
  if (typeof g.WeakRef !== 'function') missing.push('WeakRef');
  if (typeof g.FinalizationRegistry !== 'function') missing.push('FinalizationRegistry');
  if (missing.length > 0) throw new DomUnsupportedError(missing);
}

assertDomSupport();
