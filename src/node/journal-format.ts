/**
 * The on-disk format of a durable-resource journal: one JSON object per line (JSONL).
 *
 *     {"op":"host","v":1,"pid":123,"identity":"linux:…","app":"my-app","startedAt":"…"}   first line
 *     {"op":"add","id":1,"kind":"dir","path":"/tmp/my-app-x1y2"}
 *     {"op":"add","id":2,"kind":"process","pid":456,"identity":"linux:…","group":true,"command":"sleep"}
 *     {"op":"remove","id":1}
 *
 * Each line is written by one `write()` to a file opened in append mode, so a killed process
 * leaves whole lines behind; a torn last line (power loss, full disk) has no newline and is
 * ignored, as is any line that does not parse.
 */
import { readFileSync } from 'node:fs';

/** Journal format version written in the header. */
export const JOURNAL_VERSION = 1;

/** A resource that must not outlive its host process. */
export type DurableEntry =
  /** A directory, removed recursively on recovery. */
  | { readonly kind: 'dir'; readonly path: string }
  /** A file, removed on recovery. */
  | { readonly kind: 'file'; readonly path: string }
  /** A lock file, removed on recovery only if it still holds `token`. */
  | { readonly kind: 'lock'; readonly path: string; readonly token: string }
  /**
   * A child process, killed on recovery only if the pid still has `identity`. With `group`,
   * its whole process group (the pid is the group leader) is signalled.
   */
  | {
      readonly kind: 'process';
      readonly pid: number;
      readonly identity: string | undefined;
      readonly group: boolean;
      readonly command: string;
    };

/** The first line of a journal: who wrote it. */
export interface JournalHeader {
  readonly op: 'host';
  readonly v: number;
  readonly pid: number;
  readonly identity: string | undefined;
  readonly app: string;
  readonly startedAt: string;
}

/** What a journal file holds once replayed. */
export interface JournalContents {
  /** The header, if the first line is intact. */
  readonly header: JournalHeader | undefined;
  /** Entries added and not removed, by id, in insertion order. */
  readonly live: Map<number, DurableEntry>;
  /** Complete lines that did not parse (ignored). */
  readonly badLines: number;
  /** Whether the last line was incomplete (ignored). */
  readonly tornTail: boolean;
}

/** Serialize a header line (with its newline). */
export function headerLine(header: JournalHeader): string {
  return JSON.stringify(header) + '\n';
}

/** Serialize an `add` line (with its newline). */
export function addLine(id: number, entry: DurableEntry): string {
  return JSON.stringify({ op: 'add', id, ...entry }) + '\n';
}

/** Serialize a `remove` line (with its newline). */
export function removeLine(id: number): string {
  return `{"op":"remove","id":${id}}\n`;
}

function asEntry(line: Record<string, unknown>): DurableEntry | undefined {
  const { kind, path } = line;
  if ((kind === 'dir' || kind === 'file') && typeof path === 'string' && path.length > 0) {
    return { kind, path };
  }
  if (kind === 'lock' && typeof path === 'string' && path.length > 0 && typeof line.token === 'string') {
    return { kind, path, token: line.token };
  }
  if (kind === 'process' && Number.isSafeInteger(line.pid) && (line.pid as number) > 0) {
    return {
      kind,
      pid: line.pid as number,
      identity: typeof line.identity === 'string' ? line.identity : undefined,
      group: line.group === true,
      command: typeof line.command === 'string' ? line.command : '?',
    };
  }
  return undefined;
}

function asHeader(line: Record<string, unknown>): JournalHeader | undefined {
  if (line.op !== 'host' || !Number.isSafeInteger(line.pid) || (line.pid as number) <= 0) return undefined;
  return {
    op: 'host',
    v: typeof line.v === 'number' ? line.v : 0,
    pid: line.pid as number,
    identity: typeof line.identity === 'string' ? line.identity : undefined,
    app: typeof line.app === 'string' ? line.app : '',
    startedAt: typeof line.startedAt === 'string' ? line.startedAt : '',
  };
}

/** Replay journal text: header, live entries, and how much was ignored. */
export function parseJournal(text: string): JournalContents {
  const live = new Map<number, DurableEntry>();
  let header: JournalHeader | undefined;
  let badLines = 0;
  const lines = text.split('\n');
  // The text after the last newline is a torn line (or empty when the file ends cleanly).
  const tail = lines.pop() ?? '';
  lines.forEach((raw, index) => {
    if (raw.length === 0) return;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      badLines++;
      return;
    }
    if (line === null || typeof line !== 'object') {
      badLines++;
      return;
    }
    const record = line as Record<string, unknown>;
    if (index === 0 && record.op === 'host') {
      header = asHeader(record);
      if (header === undefined) badLines++;
      return;
    }
    const id = record.id;
    if (!Number.isSafeInteger(id)) {
      badLines++;
      return;
    }
    if (record.op === 'add') {
      const entry = asEntry(record);
      if (entry === undefined) badLines++;
      else live.set(id as number, entry);
    } else if (record.op === 'remove') {
      live.delete(id as number);
    } else {
      badLines++;
    }
  });
  return { header, live, badLines, tornTail: tail.length > 0 };
}

/** Read and replay the journal file at `path`. Throws the fs error if it cannot be read. */
export function readJournal(path: string): JournalContents {
  return parseJournal(readFileSync(path, 'utf8'));
}
