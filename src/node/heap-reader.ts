/**
 * A streaming reader of `.heapsnapshot` files: one pass over the bytes, the numeric sections
 * (`nodes`, `edges`, `locations`) straight into typed arrays, the strings decoded one by one —
 * never the whole text in memory, never a JS array of numbers. Peak memory is the typed arrays
 * (4 bytes a number) plus the strings: well under the file's size, where `JSON.parse` of the
 * text needs the text and then 8-16 bytes a number. Figures in BENCHMARKS.md ("heap snapshot").
 */
import { createReadStream } from 'node:fs';
import { StewardError } from '../core/index.js';
import { HeapSnapshot, type HeapSnapshotJson, type StringTable } from './heap-snapshot.js';

type Meta = HeapSnapshotJson['snapshot']['meta'];

/** A growable byte buffer. */
class Bytes {
  data = new Uint8Array(1 << 16);
  length = 0;
  push(byte: number): void {
    if (this.length === this.data.length) {
      const next = new Uint8Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = byte;
  }
}

/**
 * The snapshot's strings as their UTF-8 bytes (JSON escapes kept) and offsets, decoded on
 * demand and cached: a snapshot's hundreds of thousands of strings are never all JS strings.
 */
class LazyStrings implements StringTable {
  readonly #bytes: Uint8Array;
  readonly #offsets: Uint32Array;
  readonly #escaped: Uint8Array;
  readonly #cache = new Map<number, string>();
  readonly #decoder = new TextDecoder();
  constructor(bytes: Uint8Array, offsets: Uint32Array, escaped: Uint8Array) {
    this.#bytes = bytes;
    this.#offsets = offsets;
    this.#escaped = escaped;
  }
  get length(): number {
    return this.#offsets.length - 1;
  }
  get(index: number): string | undefined {
    if (!(index >= 0 && index < this.length)) return undefined;
    let s = this.#cache.get(index);
    if (s === undefined) {
      const text = this.#decoder.decode(
        this.#bytes.subarray(this.#offsets[index]!, this.#offsets[index + 1]!),
      );
      s = this.#escaped[index] ? (JSON.parse(`"${text}"`) as string) : text;
      if (this.#cache.size < 100_000) this.#cache.set(index, s);
    }
    return s;
  }
  indexOf(value: string): number {
    const want = Buffer.from(JSON.stringify(value).slice(1, -1));
    const bytes = this.#bytes;
    for (let i = 0; i < this.length; i++) {
      const start = this.#offsets[i]!;
      if (this.#offsets[i + 1]! - start !== want.length) continue;
      let same = true;
      for (let j = 0; j < want.length; j++) {
        if (bytes[start + j] !== want[j]) {
          same = false;
          break;
        }
      }
      if (same) return i;
    }
    return -1;
  }
}

/** A growable Uint32Array. */
class U32 {
  data: Uint32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Uint32Array(Math.max(16, capacity));
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  done(): Uint32Array {
    return this.data.length === this.length ? this.data : this.data.subarray(0, this.length);
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
const COLON = 0x3a;
const ZERO = 0x30;
const NINE = 0x39;

/** Parses a heap snapshot pushed to it in chunks. */
class SnapshotParser {
  #header = '';
  #meta: Meta | undefined;
  #counts = { nodes: 0, edges: 0 };
  #mode: 'header' | 'key' | 'numbers' | 'strings' | 'skip' | 'done' = 'header';
  #key: number[] = [];
  #inKey = false;
  #numbers: U32 | undefined;
  #value = 0;
  #inNumber = false;
  #depth = 0;
  #inString = false;
  #escaped = false;
  #hadEscape = false;
  readonly #stringBytes = new Bytes();
  readonly #offsets = new U32(1 << 16);
  readonly #escapes = new Bytes();
  readonly #arrays: Record<string, Uint32Array> = {};

  push(chunk: Buffer): void {
    if (this.#mode === 'header') {
      const text = chunk.toString('latin1');
      this.#header += text;
      const at = this.#header.indexOf('"nodes"');
      if (at < 0) {
        if (this.#header.length > 1 << 20) throw notSnapshot('no "nodes" section in the first MiB');
        return;
      }
      const head = this.#header.slice(0, at).trim().replace(/,$/, '');
      let parsed: { snapshot?: { meta?: Meta; node_count?: number; edge_count?: number } };
      try {
        parsed = JSON.parse(`${head}}`) as typeof parsed;
      } catch (error) {
        throw notSnapshot(`its header is not JSON (${(error as Error).message})`);
      }
      const meta = parsed.snapshot?.meta;
      if (!meta?.node_fields || !meta.edge_fields) throw notSnapshot('its header has no snapshot.meta');
      this.#meta = meta;
      this.#counts = { nodes: parsed.snapshot?.node_count ?? 0, edges: parsed.snapshot?.edge_count ?? 0 };
      // Resume right at the "nodes" key (it may straddle two chunks).
      const rest = Buffer.from(this.#header.slice(at), 'latin1');
      this.#header = '';
      this.#mode = 'key';
      this.#scan(rest, 0);
      return;
    }
    this.#scan(chunk, 0);
  }

  #scan(chunk: Buffer, from: number): void {
    const n = chunk.length;
    let i = from;
    while (i < n) {
      const c = chunk[i]!;
      switch (this.#mode) {
        case 'numbers': {
          // The hot loop: digits, commas, newlines, and one closing bracket.
          const numbers = this.#numbers!;
          let value = this.#value;
          let inNumber = this.#inNumber;
          for (; i < n; i++) {
            const d = chunk[i]!;
            if (d >= ZERO && d <= NINE) {
              value = value * 10 + (d - ZERO);
              inNumber = true;
            } else {
              if (inNumber) numbers.push(value);
              value = 0;
              inNumber = false;
              if (d === CLOSE) {
                i++;
                this.#endArray();
                break;
              }
            }
          }
          this.#value = value;
          this.#inNumber = inNumber;
          continue;
        }
        case 'strings':
          i = this.#scanStrings(chunk, i);
          continue;
        case 'skip':
          if (c === OPEN) this.#depth++;
          else if (c === CLOSE && --this.#depth === 0) this.#mode = 'key';
          break;
        case 'key':
          if (c === QUOTE) {
            if (this.#inKey) this.#inKey = false;
            else {
              this.#inKey = true;
              this.#key = [];
            }
          } else if (this.#inKey) this.#key.push(c);
          else if (c === OPEN) this.#startArray(String.fromCharCode(...this.#key));
          else if (c === 0x7d) this.#mode = 'done';
          else if (c !== COLON && c !== COMMA && c > 0x20)
            throw notSnapshot(`unexpected "${String.fromCharCode(c)}"`);
          break;
        case 'done':
          return;
        default:
          break;
      }
      i++;
    }
  }

  #startArray(key: string): void {
    const meta = this.#meta!;
    if (key === 'strings') {
      this.#mode = 'strings';
      return;
    }
    const sizes: Record<string, number> = {
      nodes: this.#counts.nodes * meta.node_fields.length,
      edges: this.#counts.edges * meta.edge_fields.length,
      locations: 1024,
    };
    if (key in sizes) {
      this.#numbers = new U32(sizes[key]!);
      this.#key = Array.from(key, (ch) => ch.charCodeAt(0));
      this.#mode = 'numbers';
      this.#value = 0;
      this.#inNumber = false;
    } else {
      this.#depth = 1;
      this.#mode = 'skip';
    }
  }

  #endArray(): void {
    this.#arrays[String.fromCharCode(...this.#key)] = this.#numbers!.done();
    this.#numbers = undefined;
    this.#mode = 'key';
  }

  #scanStrings(chunk: Buffer, from: number): number {
    const n = chunk.length;
    const bytes = this.#stringBytes;
    let i = from;
    for (; i < n; i++) {
      const c = chunk[i]!;
      if (!this.#inString) {
        if (c === QUOTE) {
          this.#inString = true;
          this.#hadEscape = false;
          this.#offsets.push(bytes.length);
        } else if (c === CLOSE) {
          this.#mode = 'key';
          return i + 1;
        }
        continue;
      }
      if (this.#escaped) this.#escaped = false;
      else if (c === BACKSLASH) {
        this.#escaped = true;
        this.#hadEscape = true;
      } else if (c === QUOTE) {
        this.#inString = false;
        this.#escapes.push(this.#hadEscape ? 1 : 0);
        continue;
      }
      bytes.push(c);
    }
    return i;
  }

  finish(): HeapSnapshot {
    const meta = this.#meta;
    const { nodes, edges, locations } = this.#arrays;
    if (!meta || !nodes || !edges) throw notSnapshot('it ended before its "nodes" and "edges" sections');
    return new HeapSnapshot({
      snapshot: { meta },
      nodes,
      edges,
      strings: new LazyStrings(
        this.#stringBytes.data.subarray(0, this.#stringBytes.length),
        (this.#offsets.push(this.#stringBytes.length), this.#offsets.done()),
        this.#escapes.data.subarray(0, this.#escapes.length),
      ),
      ...(locations ? { locations } : {}),
    });
  }
}

function notSnapshot(why: string): StewardError {
  return new StewardError(
    `Not a V8 heap snapshot: ${why}. Pass a file written by v8.writeHeapSnapshot() or DevTools.`,
    {
      code: 'STEWARD_HEAP_SNAPSHOT_INVALID',
    },
  );
}

/** Read a `.heapsnapshot` file in one streaming pass (see the module comment for the memory it takes). */
export async function readHeapSnapshot(file: string): Promise<HeapSnapshot> {
  const parser = new SnapshotParser();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) parser.push(chunk as Buffer);
  return parser.finish();
}

/** Parse a snapshot already in memory (a string or bytes) with the same streaming parser. */
export function parseHeapSnapshot(data: string | Uint8Array): HeapSnapshot {
  const parser = new SnapshotParser();
  parser.push(
    typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength),
  );
  return parser.finish();
}
