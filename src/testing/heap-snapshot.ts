/**
 * The heap-snapshot reader, re-exported for `steward/testing` users: it lives in `src/node`
 * (`heap-snapshot.ts`) since the unload verifier of `steward/plugins` reads snapshots too.
 */
export {
  formatRetainerPath,
  HeapSnapshot,
  type HeapSnapshotJson,
  type RetainerHop,
} from '../node/heap-snapshot.js';
