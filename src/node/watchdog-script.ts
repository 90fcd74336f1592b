/**
 * The source of the watchdog process (plain CommonJS, run with `node -e`, so it needs no
 * build step or loader). One watchdog per host process holds the list of child processes
 * started through Steward and kills them (their whole process groups) when the host dies,
 * even by SIGKILL:
 *
 * - the host writes `+<pid> <identity|-> <group 0|1>` / `-<pid>` lines on the watchdog's stdin,
 *   and `J<dir>` lines naming journal directories (see `journal.ts`) to read when it dies:
 *   children recorded in a journal of the host's pid — by any of its threads, written
 *   synchronously before `spawn` returned — are killed like the watched ones;
 * - once it listens, it writes one byte on stdout: the host may then rely on it;
 * - the host's death closes that pipe (EOF) at once; as a backup the watchdog also polls
 *   `kill(hostPid, 0)` and its parent pid every 200 ms;
 * - it then sends SIGTERM to every watched child whose start time still matches (never to a
 *   reused pid), SIGKILL to the survivors `graceMs` later (their start time checked again),
 *   deletes the journals that named only processes (all now gone), and exits.
 *
 * - on Linux it also ends every process whose environment (`/proc/<pid>/environ`) bears the
 *   host's mark `STEWARD_CHILD_OF=<mark>` (see `child-token.ts`): children the host was killed
 *   inside `spawn()` of, before it knew their pid, and their descendants (a shell's command, a
 *   grandchild that left the group); it looks again before the SIGKILL round, for a child that
 *   exec'd meanwhile.
 *
 * It ignores SIGINT and SIGHUP (a terminal's Ctrl+C or hang-up is the host's to handle) and
 * runs in its own session, so it outlives its host long enough to do its job.
 * Arguments: `<hostPid> <graceMs> [mark]`.
 */
export const WATCHDOG_SOURCE = String.raw`'use strict';
const fs = require('fs');
const { spawnSync } = require('child_process');
const hostPid = Number(process.argv[1]);
const graceMs = Number(process.argv[2]);
const markPair = process.argv[3] ? 'STEWARD_CHILD_OF=' + process.argv[3] : undefined;
const watched = new Map();
const journalDirs = new Set();
let bootId;
function identity(pid) {
  if (process.platform === 'linux') {
    try {
      if (bootId === undefined) bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
      const stat = fs.readFileSync('/proc/' + pid + '/stat', 'utf8');
      const ticks = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
      if (bootId && /^\d+$/.test(ticks)) return 'linux:' + bootId + ':' + ticks;
    } catch (e) {}
  }
  if (process.platform === 'win32') return undefined;
  const r = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', env: Object.assign({}, process.env, { LC_ALL: 'C', TZ: 'UTC' }), timeout: 2000 });
  const text = r.status === 0 && typeof r.stdout === 'string' ? r.stdout.trim().replace(/\s+/g, ' ') : '';
  return text ? 'ps:' + text : undefined;
}
function exists(pid) {
  try { process.kill(pid, 0); } catch (e) { if (e.code !== 'EPERM') return false; }
  try { return !/^[ZX]/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8').split(') ').pop()); } catch (e) { return true; }
}
function signal(pid, group, sig) {
  try { process.kill(group ? -pid : pid, sig); return; } catch (e) {}
  try { process.kill(pid, sig); } catch (e) {}
}
function journaled() {
  const out = [];
  const files = [];
  const prefix = 'host-' + hostPid + '-';
  for (const dir of journalDirs) {
    let names = [];
    try { names = fs.readdirSync(dir); } catch (e) { continue; }
    for (const name of names) {
      if (!name.startsWith(prefix) || !name.endsWith('.jsonl')) continue;
      const path = dir + '/' + name;
      let text;
      try { text = fs.readFileSync(path, 'utf8'); } catch (e) { continue; }
      const live = new Map();
      let header;
      for (const raw of text.split('\n').slice(0, -1)) {
        let line;
        try { line = JSON.parse(raw); } catch (e) { continue; }
        if (header === undefined) { header = line; if (line.op !== 'host' || line.pid !== hostPid) break; continue; }
        if (line.op === 'add') live.set(line.id, line);
        else if (line.op === 'remove') live.delete(line.id);
      }
      if (header === undefined || header.op !== 'host' || header.pid !== hostPid) continue;
      let onlyProcesses = true;
      for (const e of live.values()) {
        if (e.kind === 'process' && e.pid > 0) out.push([e.pid, { identity: typeof e.identity === 'string' ? e.identity : undefined, group: e.group === true }]);
        else onlyProcesses = false;
      }
      if (onlyProcesses) files.push(path);
    }
  }
  return { out, files };
}
function marked() {
  const out = [];
  if (markPair === undefined || process.platform !== 'linux') return out;
  let names = [];
  try { names = fs.readdirSync('/proc'); } catch (e) { return out; }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid || pid === hostPid) continue;
    let env;
    try { env = fs.readFileSync('/proc/' + name + '/environ', 'latin1'); } catch (e) { continue; }
    if (!env.split('\0').includes(markPair)) continue;
    out.push([pid, { identity: identity(pid), group: false }]);
  }
  return out;
}
let gone = false;
function hostGone() {
  if (gone) return;
  gone = true;
  const targets = [];
  const fromJournals = journaled();
  for (const [pid, w] of fromJournals.out) if (!watched.has(pid)) watched.set(pid, w);
  for (const [pid, w] of marked()) if (!watched.has(pid)) watched.set(pid, w);
  const done = () => {
    for (const path of fromJournals.files) { try { fs.unlinkSync(path); } catch (e) {} }
    process.exit(0);
  };
  for (const [pid, w] of watched) {
    if (!exists(pid)) continue;
    if (w.identity !== undefined && identity(pid) !== w.identity) continue;
    targets.push([pid, w]);
    signal(pid, w.group, 'SIGTERM');
  }
  if (targets.length === 0 && marked().length === 0) return done();
  setTimeout(() => {
    for (const [pid, w] of marked()) {
      if (targets.some((t) => t[0] === pid)) continue;
      targets.push([pid, w]);
    }
    for (const [pid, w] of targets) {
      // Still the process recorded (its start time), or its group after the leader died; a pid
      // reused by another process meanwhile is never signalled.
      const alive = exists(pid);
      if (alive && w.identity !== undefined && identity(pid) !== w.identity) continue;
      if (alive || w.group) signal(pid, w.group, 'SIGKILL');
    }
    done();
  }, graceMs);
}
let buffer = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffer += chunk;
  let nl;
  while ((nl = buffer.indexOf('\n')) >= 0) {
    const line = buffer.slice(0, nl);
    buffer = buffer.slice(nl + 1);
    if (line[0] === 'J') { journalDirs.add(line.slice(1)); continue; }
    const parts = line.slice(1).split(' ');
    const pid = Number(parts[0]);
    if (!(pid > 0)) continue;
    if (line[0] === '+') watched.set(pid, { identity: parts[1] === '-' ? undefined : parts[1], group: parts[2] === '1' });
    else if (line[0] === '-') watched.delete(pid);
  }
});
process.stdin.on('end', hostGone);
process.stdin.on('close', hostGone);
process.stdin.on('error', hostGone);
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
setInterval(() => { if (!exists(hostPid) || process.ppid !== hostPid) hostGone(); }, 200);
process.stdout.on('error', () => {});
try { process.stdout.write('1'); } catch (e) {}
`;
