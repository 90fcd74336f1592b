/**
 * Steward in the browser: a resource ledger bound to a component (listeners through one
 * `AbortSignal`, observers, timers, animation frames, object URLs, bitmaps, sockets, workers,
 * mounted elements, style sheets) and detached-element detection. Browser only (web pages,
 * Electron renderers, workers for what they have); imports no Node built-ins. Importing it in an
 * engine without `WeakRef` / `FinalizationRegistry` throws `DomUnsupportedError`.
 * @module steward/dom
 */
// First: the engine check runs before any module that needs WeakRef.
import './support.js';

export { describeElement, type ElementDescription } from './describe.js';
export {
  type CheckDetachedOptions,
  checkDetached,
  DETACHED_MARK,
  type DetachedElementFinding,
  type DetachedHolder,
  type DetachedHook,
  pendingDetached,
} from './detached.js';
export { DetachedElementsError, DomUnsupportedError, NoCollectionError } from './errors.js';
export { type ExpectNoDetachedOptions, expectNoDetachedElements } from './expect.js';
export { DomLedger, type DomLedgerOptions, type DomTrackOptions, domLedger } from './ledger.js';
export { DomListener } from './listener.js';
export { componentSignal } from './signal.js';
export { assertDomSupport } from './support.js';
