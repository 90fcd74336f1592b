/**
 * Steward's Node.js runtime layer: one shutdown path for signals and crashes, handle
 * attribution (what a component's code created without tracking it), durable resources that
 * a crashed run's successor reclaims, child processes that die with their host, and
 * diagnostics_channel publishing. See docs/node-runtime.md.
 * @module steward/node
 */

export {
  type AttributedHandle,
  type Attribution,
  type AttributionOptions,
  allAttributedHandles,
  attributedHandles,
  attributionEnabled,
  attributionSeq,
  type CheckHandlesOptions,
  checkHandles,
  enableAttribution,
  type HandleKind,
  type HandleLeak,
  reclaim,
} from './attribution.js';
export { guardAttributedChildren } from './attribution-children.js';
export {
  asyncContextIsCheap,
  currentComponent,
  enterComponent,
  runInComponent,
  runOutsideComponents,
} from './attribution-context.js';
export { type BrowserModules, browserModulesDir, loadBrowserModules } from './browser-modules.js';
export {
  addFaultClaimer,
  claimFault,
  type Fault,
  type FaultClaimer,
  type FaultKind,
  isProcessGuard,
} from './containment.js';
export { MAX_PROFILE_MS, ProfilerBusyError, profileThread } from './cpu-profile.js';
export {
  CHANNEL_PREFIX,
  type DiagnosticsPublisher,
  publishDiagnostics,
  stewardChannel,
} from './diagnostics.js';
export { disposeSync, type SyncDisposal } from './dispose-sync.js';
export { type DurableOptions, DurableResources, openDurable, type TempOptions } from './durable.js';
export { forceGc, nextMacrotask } from './gc.js';
export {
  describeReplacement,
  detectGlobals,
  type GlobalGroup,
  type GlobalReplacement,
  type RestoreFilter,
  restoreGlobals,
  restoreGlobalsWhere,
} from './globals-guard.js';
export {
  captureOwnHeap,
  measureOwnHeap,
  type OwnHeap,
  type OwnHeapOptions,
  type OwnObject,
} from './heap-own.js';
export { parseHeapSnapshot, readHeapSnapshot } from './heap-reader.js';
export {
  formatRetainerPath,
  HeapSnapshot,
  type HeapSnapshotJson,
  type RetainerHop,
} from './heap-snapshot.js';
export { Journal, type JournalOptions } from './journal.js';
export {
  type DurableEntry,
  type JournalContents,
  type JournalHeader,
  readJournal,
} from './journal-format.js';
export { type ReclaimedChildren, reclaimJournaledChildren } from './journal-reclaim.js';
export {
  declarationLine,
  type ExplainOptions,
  explainRetained,
  type ProbeInfo,
  type RetainedFinding,
  type UnloadedCode,
} from './leak-forensics.js';
export { acquireLockFile, LockHeldError, releaseLockFile } from './lock-file.js';
export {
  type LoopBlock,
  type LoopBlockEnd,
  type LoopWatchdog,
  type LoopWatchdogOptions,
  watchEventLoop,
} from './loop-watchdog.js';
export { pidExists, processIdentity, processLiveness } from './process-identity.js';
export {
  type BlameRoot,
  type BlameShare,
  blameProfile,
  type CpuProfile,
  type CpuProfileNode,
  type HotSpot,
  type ProfileBlame,
} from './profile-blame.js';
export { type RecoverOptions, type RecoveryReport, recover } from './recover.js';
export { pathTo, type RetainerIndex, retainedBytes, retainerIndex } from './retainer-graph.js';
export {
  installShutdown,
  managerShutdownTarget,
  type ShutdownHandle,
  type ShutdownOptions,
  type ShutdownTarget,
  signalExitCode,
} from './shutdown.js';
export {
  hasExited,
  isTrackedChild,
  type SpawnTrackedOptions,
  spawnTracked,
  type TrackChildOptions,
  terminateChild,
  trackChild,
} from './spawn.js';
export { ChildWatchdog, childWatchdog } from './watchdog.js';
