/**
 * Validation of memory limits, shared by components and the manager.
 */
import { describe, InvalidArgumentError } from './errors.js';
import { byteCountError, checkOptions, isByteCount, type KeysOf } from './options.js';
import type { MemoryLimit, MemoryPolicy } from './types.js';

const POLICIES: readonly MemoryPolicy[] = ['warn', 'reject', 'evict'];
const LIMIT_KEYS: KeysOf<MemoryLimit> = { bytes: true, policy: true };

/**
 * Check a limit given by a user and fill in the default policy. `where` names it in errors.
 * `bytes` is a whole number of bytes >= 0 (at most `Number.MAX_SAFE_INTEGER`).
 */
export function validateLimit(limit: MemoryLimit, where: string): Required<MemoryLimit> {
  if (limit === null || typeof limit !== 'object') {
    throw new InvalidArgumentError(`${where}: expected { bytes, policy? } (got ${describe(limit)}).`);
  }
  checkOptions(limit, where, LIMIT_KEYS, '{ bytes, policy? }');
  const { bytes, policy = 'warn' } = limit;
  if (!isByteCount(bytes)) throw byteCountError(where, 'bytes', bytes);
  if (!POLICIES.includes(policy)) {
    throw new InvalidArgumentError(
      `${where}: policy must be one of ${POLICIES.join(', ')} (got ${describe(policy)}).`,
    );
  }
  return { bytes, policy };
}
