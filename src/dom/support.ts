/**
 * What `steward/dom` needs from the JavaScript engine, checked once when the module is imported:
 * a browser without `WeakRef` or `FinalizationRegistry` gets a clear error instead of a ledger
 * whose detached-element detection silently never reports anything.
 */
import { DomUnsupportedError } from './errors.js';

/** Throws `DomUnsupportedError` unless `scope` has `WeakRef` and `FinalizationRegistry`. */
export function assertDomSupport(scope: object = globalThis): void {
  const g = scope as { WeakRef?: unknown; FinalizationRegistry?: unknown };
  const missing: string[] = [];
  if (typeof g.WeakRef !== 'function') missing.push('WeakRef');
  if (typeof g.FinalizationRegistry !== 'function') missing.push('FinalizationRegistry');
  if (missing.length > 0) throw new DomUnsupportedError(missing);
}

assertDomSupport();
