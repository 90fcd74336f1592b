import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { StewardError } from '../../src/core/index.js';
import { type DurableEntry, Journal, readJournal } from '../../src/node/index.js';

const root = mkdtempSync(join(tmpdir(), 'steward-journal-test-'));
let n = 0;
const freshDir = (): string => join(root, `j${++n}`);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Journal', () => {
  it('writes a header and add/remove lines that replay to the live entries', () => {
    const journal = Journal.open({ dir: freshDir(), app: 'test' });
    const a = journal.add({ kind: 'dir', path: '/tmp/a' });
    const b = journal.add({ kind: 'file', path: '/tmp/b' });
    journal.add({ kind: 'process', pid: 42, identity: 'linux:x:1', group: true, command: 'sleep' });
    journal.remove(a);
    expect(journal.remove(a)).toBe(false);
    const contents = readJournal(journal.path);
    expect(contents.header).toMatchObject({ op: 'host', pid: process.pid, app: 'test' });
    expect([...contents.live.values()]).toEqual([
      { kind: 'file', path: '/tmp/b' },
      { kind: 'process', pid: 42, identity: 'linux:x:1', group: true, command: 'sleep' },
    ]);
    expect(contents.live.has(b)).toBe(true);
    expect(contents.badLines).toBe(0);
    expect(contents.tornTail).toBe(false);
    journal.close();
  });

  it('creates a private directory and a private file', () => {
    const dir = freshDir();
    const journal = Journal.open({ dir });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(journal.path).mode & 0o777).toBe(0o600);
    journal.close();
  });

  it('ignores a torn last line and lines that do not parse', () => {
    const journal = Journal.open({ dir: freshDir() });
    journal.add({ kind: 'dir', path: '/tmp/kept' });
    appendFileSync(journal.path, 'not json\n{"op":"add","id":99,"kind":"dir"}\n');
    appendFileSync(journal.path, '{"op":"add","id":7,"kind":"dir","path":"/tmp/torn"'); // no newline: torn
    const contents = readJournal(journal.path);
    expect([...contents.live.values()]).toEqual([{ kind: 'dir', path: '/tmp/kept' }]);
    expect(contents.badLines).toBe(2);
    expect(contents.tornTail).toBe(true);
    journal.close();
  });

  it('never grows without bound: compaction keeps it under 2 × live + compactMinBytes', () => {
    const journal = Journal.open({ dir: freshDir(), fsync: false, compactMinBytes: 4096 });
    const keep = journal.add({ kind: 'dir', path: '/tmp/long-lived' });
    for (let i = 0; i < 8000; i++) journal.remove(journal.add({ kind: 'file', path: `/tmp/short-${i}` }));
    expect(journal.compactions).toBeGreaterThan(10);
    const size = statSync(journal.path).size;
    expect(size).toBe(journal.sizeBytes);
    expect(size).toBeLessThan(2 * 200 + 4096 + 200);
    const contents = readJournal(journal.path);
    expect([...contents.live.keys()]).toEqual([keep]);
    expect(contents.live.get(keep)).toEqual({ kind: 'dir', path: '/tmp/long-lived' });
    expect(existsSync(`${journal.path}.compact`)).toBe(false);
    journal.close();
  });

  it('matches a model under any sequence of adds and removes (file replay = in-memory set)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant('add' as const), fc.nat(30)), { maxLength: 120 }),
        fc.integer({ min: 0, max: 512 }),
        (ops, compactMinBytes) => {
          const journal = Journal.open({ dir: join(root, 'model'), fsync: false, compactMinBytes });
          const model = new Map<number, DurableEntry>();
          const ids: number[] = [];
          for (const op of ops) {
            if (op === 'add') {
              const entry: DurableEntry = { kind: 'file', path: `/tmp/f${ids.length}` };
              const id = journal.add(entry);
              ids.push(id);
              model.set(id, entry);
            } else if (ids.length > 0) {
              const id = ids[op % ids.length]!;
              expect(journal.remove(id)).toBe(model.delete(id));
            }
          }
          const replayed = readJournal(journal.path).live;
          journal.close();
          rmSync(journal.path, { force: true });
          expect(replayed).toEqual(model);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('close() deletes an empty journal and keeps one with live entries', () => {
    const dir = freshDir();
    const empty = Journal.open({ dir });
    empty.remove(empty.add({ kind: 'dir', path: '/tmp/x' }));
    empty.close();
    expect(existsSync(empty.path)).toBe(false);
    const live = Journal.open({ dir });
    live.add({ kind: 'dir', path: '/tmp/y' });
    live.close();
    live.close(); // idempotent
    expect(existsSync(live.path)).toBe(true);
    expect(() => live.add({ kind: 'dir', path: '/tmp/z' })).toThrow(/closed/);
    expect(readFileSync(live.path, 'utf8')).toContain('/tmp/y');
  });

  it('refuses a directory other users can write to, or a bad app name', () => {
    if (process.platform === 'win32') return;
    const dir = freshDir();
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    expect(() => Journal.open({ dir })).toThrow(StewardError);
    expect(() => Journal.open({ dir })).toThrow(/writable by group or others.*chmod 700/);
    expect(() => Journal.open({ app: '../etc' })).toThrow(/app must be/);
  });
});
