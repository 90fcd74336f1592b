/** A process's tree as seen from outside: moved to steward/node (`src/node/process-tree.ts`), where tracked children use it too. */
export {
  alive,
  cpuTimeMs,
  descendants,
  residentBytes,
  signalAll,
  withEnviron,
} from '../node/process-tree.js';
