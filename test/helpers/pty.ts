/**
 * Test helper: run the real `steward` binary (dist/cli/main.js) in a pseudo-terminal, as a
 * user's terminal would, through util-linux `script` (part of every Debian system, package
 * bsdutils): its stdin, stdout and stderr are the terminal, so `process.stdin.isTTY` is true.
 * The test types lines and reads what the terminal shows (stdout and stderr together).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The built binary (test/global-setup.ts builds dist/). */
export const STEWARD_BIN = join(import.meta.dirname, '../../dist/cli/main.js');

/** Whether `script` is there; the test says what to install when not. */
export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** A program running in a terminal. */
export interface TerminalRun {
  /** Type `line` and Enter. */
  type(line: string): void;
  /** Everything the terminal showed so far (carriage returns removed). */
  screen(): string;
  /** Resolves once the screen, after `from` characters, matches `pattern`; returns the match's end. */
  waitFor(pattern: RegExp, from?: number): Promise<number>;
  /** The program's own pid (a child of `script`). */
  pid(): number;
  /** The exit code of the program (`script -e` passes it on). */
  readonly exited: Promise<number | null>;
  /** Kill the program and `script` (for afterEach). */
  kill(): void;
}

const runs = new Set<TerminalRun>();

/** Start `steward <args>` in a pseudo-terminal, in `cwd`. */
export function startInTerminal(args: readonly string[], cwd: string): TerminalRun {
  // `exec`: the shell `script` starts is replaced by node, so node is script's child.
  const command = `exec ${[process.execPath, STEWARD_BIN, ...args].map(quote).join(' ')}`;
  const child: ChildProcess = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', TERM: 'dumb' },
  });
  let screen = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: string): void => {
    screen += chunk.replaceAll('\r', '');
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', onData);
  child.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let closed = false;
  void exited.then(() => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  let programPid: number | undefined;
  const run: TerminalRun = {
    type(line) {
      child.stdin!.write(`${line}\n`);
    },
    screen: () => screen,
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const rest = screen.slice(from);
          const m = pattern.exec(rest);
          if (m) {
            waiters.delete(check);
            resolve(from + m.index + m[0].length);
          } else if (closed) {
            waiters.delete(check);
            reject(new Error(`the program ended before the terminal showed ${pattern}:\n${screen}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    pid() {
      if (programPid === undefined) {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        programPid = Number(children.split(/\s+/)[0]);
        if (!Number.isInteger(programPid) || programPid <= 0) throw new Error(`script has no child yet`);
      }
      return programPid;
    },
    exited,
    kill() {
      try {
        process.kill(run.pid(), 'SIGKILL');
      } catch {
        // gone already
      }
      child.kill('SIGKILL');
    },
  };
  runs.add(run);
  void exited.then(() => runs.delete(run));
  return run;
}

/** Kill every terminal run still going. */
export function killAllTerminals(): void {
  for (const run of runs) run.kill();
  runs.clear();
}
