/**
 * Memory sizes as manifests write them (`"64MB"`, `"512KiB"`, `67108864`), parsed into bytes.
 */

import { StewardRangeError } from '../core/errors.js';
import { show } from './manifest-errors.js';

const BYTE_UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/**
 * Parses a memory size into bytes: a positive integer, or a string such as `"64MB"`, `"512KiB"`,
 * `"1.5 GiB"`, `"4096"`. Units are case-insensitive; KB/MB/GB/TB are decimal (1000^n), KiB/MiB/GiB/TiB
 * binary (1024^n). Returns a positive safe integer; throws a `RangeError` explaining the accepted forms.
 */
export function parseByteSize(input: string | number): number {
  const hint = 'use a positive number of bytes or a size such as "64MB" or "512KiB"';
  if (typeof input === 'number') {
    if (Number.isSafeInteger(input) && input > 0) return input;
    throw new StewardRangeError(`must be a positive whole number of bytes (got ${show(input)}); ${hint}`);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(input);
  const factor = match ? BYTE_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new StewardRangeError(
      `is not a valid size (got ${show(input)}); ${hint} (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)`,
    );
  }
  const bytes = Math.round(Number(match[1]) * factor);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new StewardRangeError(
      `must be at least 1 byte and at most 2^53-1 bytes (got ${show(input)}); ${hint}`,
    );
  }
  return bytes;
}
