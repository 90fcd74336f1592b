/**
 * A fixed-capacity ring buffer of numeric samples with a few columns (e.g. time, bytes,
 * resources). Storage is one Float64Array allocated up front: pushing never allocates and
 * the oldest sample is overwritten when full.
 */
import { StewardRangeError } from '../core/errors.js';

/** A bounded series of rows of `columns` numbers, oldest dropped first. */
export class SampleRing {
  readonly #data: Float64Array;
  readonly #columns: number;
  readonly #capacity: number;
  #start = 0;
  #length = 0;

  /** `capacity` rows (an integer >= 1) of `columns` numbers each. */
  constructor(capacity: number, columns: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new StewardRangeError(`SampleRing: capacity must be an integer >= 1 (got ${capacity}).`);
    }
    if (!Number.isInteger(columns) || columns < 1) {
      throw new StewardRangeError(`SampleRing: columns must be an integer >= 1 (got ${columns}).`);
    }
    this.#capacity = capacity;
    this.#columns = columns;
    this.#data = new Float64Array(capacity * columns);
  }

  /** Number of rows held (at most the capacity). */
  get length(): number {
    return this.#length;
  }

  /** Append a row (missing values are 0); overwrites the oldest row when full. */
  push(...values: number[]): void {
    const slot = (this.#start + this.#length) % this.#capacity;
    const base = slot * this.#columns;
    for (let i = 0; i < this.#columns; i++) this.#data[base + i] = values[i] ?? 0;
    if (this.#length < this.#capacity) this.#length++;
    else this.#start = (this.#start + 1) % this.#capacity;
  }

  /** The rows, oldest first, as arrays of numbers. */
  rows(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.#length; i++) {
      const base = ((this.#start + i) % this.#capacity) * this.#columns;
      out.push(Array.from(this.#data.subarray(base, base + this.#columns)));
    }
    return out;
  }
}
