/**
 * The errors of `steward/dom`, in a module of their own (no side effects), so Node-side test
 * helpers can throw the same `DetachedElementsError` without loading the browser ledger.
 */
import { StewardError } from '../core/index.js';
import type { DetachedElementFinding } from './finding.js';

/** Thrown at import of `steward/dom` when the engine lacks what the ledger needs. Code `STEWARD_DOM_UNSUPPORTED`. */
export class DomUnsupportedError extends StewardError {
  override name = 'DomUnsupportedError';
  /** Stable code for programs that branch on the error. */
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_DOM_UNSUPPORTED';
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

/** Thrown by `expectNoDetachedElements` when elements outlived their component. Code `STEWARD_DETACHED_ELEMENTS`. */
export class DetachedElementsError extends StewardError {
  override name = 'DetachedElementsError';
  /** Stable code for programs that branch on the error. */
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_DETACHED_ELEMENTS';
  /** Every element found. */
  readonly findings: readonly DetachedElementFinding[];
  constructor(findings: readonly DetachedElementFinding[]) {
    super(
      `${findings.length} element(s) outlived the component that mounted them (detached DOM):\n` +
        findings
          .map(
            (f) =>
              `- ${f.message}${f.stack ? `\n  mounted ${firstFrame(f.stack)}` : ''}` +
              (f.retainers ? `\n  retained by: ${f.retainers.join('\n    ')}` : ''),
          )
          .join('\n'),
    );
    this.findings = findings;
  }
}

/**
 * Thrown by `expectNoDetachedElements` when no collection decided in time (and `gc()` is
 * unavailable). Code `STEWARD_NO_COLLECTION`.
 */
export class NoCollectionError extends StewardError {
  override name = 'NoCollectionError';
  /** Stable code for programs that branch on the error. */
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_NO_COLLECTION';
  constructor(timeoutMs: number) {
    super(
      `expectNoDetachedElements(): no garbage collection decided within ${timeoutMs} ms whether the removed ` +
        'elements leaked. Launch Chromium with --js-flags=--expose-gc (then gc() is used), force a collection over ' +
        "the DevTools protocol (steward/testing's expectNoDetachedElements does), or raise timeoutMs.",
    );
  }
}

function firstFrame(stack: string): string {
  const frames = stack.split('\n').slice(1);
  const outside = frames.find((l) => !/\/(core|dom)\/[\w-]+\.js/.test(l)) ?? frames[0] ?? '';
  return outside.trim();
}
