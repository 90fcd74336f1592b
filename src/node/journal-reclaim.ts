/**
 * Reclaim the children a part of this process left behind while the process lives on: a
 * plugin's worker thread that was terminated (abandoned at shutdown, crashed, out of heap)
 * ran no cleanup, so the child processes its `ctx` started are still running. They are in
 * the thread's journal (`Journal.open({ label })`; a plugin process writes one under its own pid);
 * this kills those still alive — only when
 * the pid still has the recorded start time, whole process groups — and deletes the journal
 * when it named nothing but processes.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_MARK_ENV, childMark } from './child-token.js';
import { JOURNAL_SUFFIX } from './journal.js';
import { type DurableEntry, readJournal } from './journal-format.js';
import { processLiveness } from './process-identity.js';
import { environHas } from './process-tree.js';

type ProcessEntry = Extract<DurableEntry, { kind: 'process' }>;

/** What `reclaimJournaledChildren` did. */
export interface ReclaimedChildren {
  /** Pids signalled (SIGTERM, then SIGKILL if still alive after the grace period). */
  readonly killed: number[];
  /** Journal files read. */
  readonly journals: string[];
}

function signal(entry: ProcessEntry, sig: NodeJS.Signals): boolean {
  try {
    process.kill(entry.group ? -entry.pid : entry.pid, sig);
    return true;
  } catch {
    try {
      process.kill(entry.pid, sig);
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * Whether the journaled process is still the one recorded: by its identity (start time), or —
 * when the writer could not tell it (a plugin process under Node's permission model cannot read
 * `/proc`) — by this host's mark in its environment, which only processes this host guards bear.
 */
function stillOurs(entry: ProcessEntry): boolean {
  const liveness = processLiveness(entry.pid, entry.identity);
  if (liveness !== 'unknown') return liveness === 'alive';
  return environHas(entry.pid, `${CHILD_MARK_ENV}=${childMark()}`);
}

/**
 * Kill the live processes recorded in the journals labelled `label` in `dir` (SIGTERM, SIGKILL
 * after `graceMs`), then delete the journals that held only processes. The label alone names
 * them — a worker thread writes them under this process's pid, a plugin process under its own.
 * Unreadable journals and a missing `dir` are skipped. Never rejects.
 */
export async function reclaimJournaledChildren(
  dir: string,
  label: string,
  graceMs = 400,
): Promise<ReclaimedChildren> {
  const infix = `-${label}-`;
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter(
      (n) => n.startsWith('host-') && n.includes(infix) && n.endsWith(JOURNAL_SUFFIX),
    );
  } catch {
    return { killed: [], journals: [] };
  }
  const targets: ProcessEntry[] = [];
  const removable: string[] = [];
  const journals: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    let live: Map<number, DurableEntry>;
    try {
      live = readJournal(path).live;
    } catch {
      continue;
    }
    journals.push(path);
    let onlyProcesses = true;
    for (const entry of live.values()) {
      if (entry.kind !== 'process') onlyProcesses = false;
      else if (stillOurs(entry) && signal(entry, 'SIGTERM')) targets.push(entry);
    }
    if (onlyProcesses) removable.push(path);
  }
  const alive = (e: ProcessEntry): boolean => stillOurs(e);
  const until = Date.now() + graceMs;
  while (targets.some(alive) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const entry of targets) if (alive(entry) || entry.group) signal(entry, 'SIGKILL');
  for (const path of removable) rmSync(path, { force: true });
  return { killed: targets.map((e) => e.pid), journals };
}
