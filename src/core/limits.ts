/**
 * Validation of memory limits, shared by components and the manager.
 */
import { describe, StewardRangeError, StewardTypeError } from './errors.js';
import type { MemoryLimit, MemoryPolicy } from './types.js';

const POLICIES: readonly MemoryPolicy[] = ['warn', 'reject', 'evict'];

/** Check a limit given by a user and fill in the default policy. `where` names it in errors. */
export function validateLimit(limit: MemoryLimit, where: string): Required<MemoryLimit> {
  if (limit === null || typeof limit !== 'object') {
    throw new StewardTypeError(`${where}: expected { bytes, policy? } (got ${describe(limit)}).`);
  }
  const { bytes, policy = 'warn' } = limit;
  if (typeof bytes !== 'number' || !(bytes >= 0 && bytes < Number.POSITIVE_INFINITY)) {
    throw new StewardRangeError(`${where}: bytes must be a finite number >= 0 (got ${describe(bytes)}).`);
  }
  if (!POLICIES.includes(policy)) {
    throw new StewardTypeError(
      `${where}: policy must be one of ${POLICIES.join(', ')} (got ${describe(policy)}).`,
    );
  }
  return { bytes, policy };
}
