/**
 * Audit mode's record and the policy derived from it (LavaMoat's autopolicy idea): while a host
 * runs with `permissions: 'audit'`, every access a plugin's `ctx` calls make is appended to
 * `<dir>/<plugin id>.json`; {@link smallestPermissions} turns that record into the smallest
 * `permissions` block that would have allowed the run — paths in the plugin folder as `./…`, in
 * its storage as `$STORAGE…`, others absolute, and nothing listed that another entry covers.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StewardError } from '../core/index.js';
import { type PermissionAccess, STORAGE_PLACEHOLDER, within } from './permissions.js';

/** What one plugin did in audit mode (accumulated over runs until the file is removed). */
export interface AuditRecord {
  readonly plugin: string;
  /** The plugin's folder and storage folder when recorded (paths are made relative to them). */
  readonly dir: string;
  readonly storageDir: string;
  /** Each distinct access, in the order first seen. */
  readonly accesses: readonly PermissionAccess[];
}

/** The record file of plugin `id` in `dir`. */
export function auditFile(dir: string, id: string): string {
  return path.join(dir, `${id}.json`);
}

/** Appends accesses to the plugins' record files (each write is atomic: a rename). */
export class AuditRecorder {
  readonly #dir: string;
  readonly #records = new Map<string, { record: AuditRecord; keys: Set<string> }>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Add `access` to plugin `id`'s record unless it is there already. */
  record(id: string, where: { dir: string; storageDir: string }, access: PermissionAccess): void {
    let entry = this.#records.get(id);
    if (!entry) {
      const previous = readAuditRecord(this.#dir, id);
      const record: AuditRecord = {
        plugin: id,
        dir: where.dir,
        storageDir: where.storageDir,
        accesses: previous?.accesses ?? [],
      };
      entry = { record, keys: new Set(record.accesses.map(key)) };
      this.#records.set(id, entry);
    }
    if (entry.keys.has(key(access))) return;
    entry.keys.add(key(access));
    entry.record = { ...entry.record, accesses: [...entry.record.accesses, access] };
    mkdirSync(this.#dir, { recursive: true });
    const file = auditFile(this.#dir, id);
    writeFileSync(`${file}.tmp`, `${JSON.stringify(entry.record, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
}

function key(access: PermissionAccess): string {
  return `${access.permission}\0${access.resource}`;
}

/** The record of plugin `id` in `dir`, or undefined when it has none. Throws on an unreadable one. */
export function readAuditRecord(dir: string, id: string): AuditRecord | undefined {
  const file = auditFile(dir, id);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let record: AuditRecord | undefined;
  let problem = 'no "accesses" array';
  try {
    record = JSON.parse(text) as AuditRecord;
  } catch (error) {
    problem = (error as Error).message;
  }
  if (record === undefined || !Array.isArray(record.accesses)) {
    throw new StewardError(
      `The audit record ${file} is not valid (${problem}); delete it and run the plugin with --permissions=audit again.`,
      { code: 'STEWARD_AUDIT_INVALID' },
    );
  }
  return record;
}

/**
 * The smallest `permissions` block (as the manifest writes it) that allows every access in
 * `record`. Reads under `implicit` (what a plugin process may read anyway: Steward's files, the
 * `node_modules` it resolves from) are left out.
 */
export function smallestPermissions(
  record: AuditRecord,
  implicit: readonly string[] = [],
): {
  fs: { read: string[]; write: string[] };
  childProcess: boolean;
  worker: boolean;
  reason: string;
} {
  const paths = (permission: 'fs.read' | 'fs.write'): string[] => {
    const absolute = record.accesses
      .filter((a) => a.permission === permission)
      .map((a) => path.resolve(record.dir, a.resource))
      .filter((p) => permission === 'fs.write' || !implicit.some((root) => within(p, root)));
    const kept = absolute.filter(
      (p, i) => absolute.indexOf(p) === i && !absolute.some((other) => other !== p && within(p, other)),
    );
    return kept.map((p) => manifestPath(p, record)).sort();
  };
  const read = paths('fs.read');
  const write = paths('fs.write');
  const commands = [
    ...new Set(record.accesses.filter((a) => a.permission === 'childProcess').map((a) => a.resource)),
  ];
  const workers = record.accesses.some((a) => a.permission === 'worker');
  const said = [
    read.length > 0 && `reads ${read.join(', ')}`,
    write.length > 0 && `writes ${write.join(', ')}`,
    commands.length > 0 && `runs ${commands.join(', ')}`,
    workers && 'starts worker threads',
  ].filter(Boolean);
  return {
    fs: { read, write },
    childProcess: commands.length > 0,
    worker: workers,
    reason:
      said.length > 0
        ? `${said.join('; ')} (recorded in audit mode)`
        : 'needs no access (recorded in audit mode)',
  };
}

function manifestPath(p: string, record: AuditRecord): string {
  if (within(p, record.storageDir)) {
    const rel = path.relative(record.storageDir, p).split(path.sep).join('/');
    return rel === '' ? STORAGE_PLACEHOLDER : `${STORAGE_PLACEHOLDER}/${rel}`;
  }
  if (within(p, record.dir)) {
    const rel = path.relative(record.dir, p).split(path.sep).join('/');
    return rel === '' ? './' : `./${rel}`;
  }
  return p;
}
