/**
 * Checking what users pass: the type of an options object, its keys (an unknown key is an
 * error naming the nearest known one), milliseconds a timer can hold, byte sizes. Every
 * refusal is an `InvalidArgumentError` saying where, what was wrong and what to pass.
 *
 * The checks are cheap enough for `track`'s hot path: a `for…in` over a literal with two or
 * three keys and a `switch` per key (see BENCHMARKS.md).
 */
import { describe, InvalidArgumentError, UnknownOptionError } from './errors.js';

/**
 * The longest delay a platform timer holds: `setTimeout` with more than 2^31 − 1 ms fires
 * after 1 ms (Node warns, browsers do not), so a longer disposer timeout would abandon every
 * async disposer at once. Every timer option of the core refuses more.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The keys of an options interface, checked against it at compile time: adding a key to the
 * interface without listing it here is a type error, so the run-time check cannot go stale.
 */
export type KeysOf<T> = { readonly [K in keyof Required<T>]: true };

/** The known keys of a `KeysOf` table, as a list for messages. */
export function keyList(keys: object): readonly string[] {
  return Object.keys(keys);
}

/**
 * Check that `options` is undefined or a plain options object whose every key is in `known`.
 * `example` shows the expected shape in the message (`{ type, size, dispose }`).
 */
export function checkOptions(options: unknown, where: string, known: object, example: string): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(
      `${where}: options must be an object such as ${example} (got ${describe(options)}).`,
    );
  }
  for (const key in options) if (!Object.hasOwn(known, key)) throw unknownOption(where, key, known);
}

/** The error for an unknown key of an options object (with the nearest known key, if any). */
export function unknownOption(where: string, key: string, known: object): UnknownOptionError {
  const names = keyList(known);
  return new UnknownOptionError(where, key, nearestKey(key, names), names);
}

/**
 * The known key nearest to `key` when it is a likely typo: same letters in another case, one a
 * prefix of the other (`disposerTimeout` → `disposerTimeoutMs`), or an edit distance of at
 * most a third of its length (at least 2).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const name of known) {
    const candidate = name.toLowerCase();
    if (candidate === lower) return name;
    if (lower.length >= 3 && (candidate.startsWith(lower) || lower.startsWith(candidate))) {
      const d = Math.abs(candidate.length - lower.length);
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
      continue;
    }
    const d = editDistance(lower, candidate, bestDistance);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions, giving up (returning `limit`) past `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, prevPrev[j - 2]! + 1);
      row.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin >= limit) return limit;
    prevPrev = prev;
    prev = row;
  }
  return Math.min(prev[b.length]!, limit);
}

/**
 * Check a millisecond option that arms a timer: a finite number > 0 and at most
 * `MAX_TIMER_MS` (about 24.8 days). Returns it.
 */
export function checkTimerMs(value: unknown, where: string, option: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= MAX_TIMER_MS)) {
    throw new InvalidArgumentError(
      `${where}: ${option} must be a number of milliseconds > 0 and at most ${MAX_TIMER_MS} (2^31 − 1, about 24.8 days: ` +
        `a platform timer cannot hold more and would fire at once) (got ${describe(value)}).`,
    );
  }
  return value;
}

/**
 * Whether `value` is a byte count Steward can add and subtract without drift: a non-negative
 * safe integer (fractions would leave residues such as 2.78e-17 bytes; above 2^53 − 1 a
 * number cannot count by one).
 */
export function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The error for a byte count that is not a non-negative safe integer. */
export function byteCountError(where: string, option: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `${where}: ${option} must be a whole number of bytes >= 0 and at most Number.MAX_SAFE_INTEGER ` +
      `(got ${describe(value)}); round it (Math.ceil) before passing it.`,
  );
}
