/**
 * One trial of `steward bisect`: start a host of the enabled plugins in a child process
 * (bisect-host.ts), run the user's command while it is up (its own process group, the monitor's
 * URL and the enabled plugins in its environment), stop the host, and judge: the trial fails when
 * the command exits non-zero (or times out) or the host saw a finding of the wanted kind. Every
 * process it starts is ended before it resolves: the command's whole group and the host.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StewardError } from '../core/errors.js';
import type { TrialFinding, TrialHostConfig, TrialHostMessage } from './bisect-host.js';

/** How a trial is run (the same for every trial of a bisect). */
export interface TrialPlan {
  readonly host: Omit<TrialHostConfig, 'enabled'>;
  /** Every candidate plugin id (for `STEWARD_BISECT_DISABLED`). */
  readonly all: readonly string[];
  /** The shell command, or undefined to judge by findings alone. */
  readonly command: string | undefined;
  /** Longest a command may run before it is killed and the trial counts as failing, ms. */
  readonly timeoutMs: number;
  /** Without a command: how long the host stays up, ms. */
  readonly durationMs: number;
  /** Which findings fail a trial: a group (`leak`, `health`, `failure`) or kind; none: findings do not count. */
  readonly findings: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What a trial showed: the command's end and the last of its output, the findings that count. */
export interface TrialEvidence {
  /** The command's exit code (null when killed), when there is a command. */
  readonly exitCode: number | null | undefined;
  readonly timedOut: boolean;
  /** The last lines the command printed (stdout and stderr). */
  readonly output: string;
  /** Findings of the wanted kinds. */
  readonly findings: readonly TrialFinding[];
  /** Plugins that failed to start or were blocked in this trial. */
  readonly problems: readonly string[];
}

const TAIL = 4096;

/** What runs now: test commands' process groups and trial hosts, so an interrupt can end them. */
const live = { groups: new Set<number>(), hosts: new Set<ChildProcess>() };

/**
 * End every test command (its whole group) and trial host still running: `steward bisect` calls
 * it when interrupted (SIGINT, SIGTERM), so nothing it started outlives it.
 */
export function killTrials(): void {
  for (const pid of live.groups) killGroup(pid, 'SIGKILL');
  for (const host of live.hosts) host.kill('SIGKILL');
}
const START_TIMEOUT_MS = 120_000;

/** The trial host's entry: next to this module when built, else the built one (`npm run build`). */
function hostEntry(): string {
  for (const url of [
    new URL('./bisect-host.js', import.meta.url),
    new URL('../../dist/cli/bisect-host.js', import.meta.url),
  ]) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new StewardError(
    'steward bisect needs dist/cli/bisect-host.js, which is missing. Run `npm run build`.',
    {
      code: 'STEWARD_BISECT_HOST_FAILED',
    },
  );
}

function hostFailed(message: string, output: string): StewardError {
  const tail = output.trim().split('\n').slice(-5).join('\n    ');
  return new StewardError(`a trial host ${message}${tail ? `:\n    ${tail}` : ''}`, {
    code: 'STEWARD_BISECT_HOST_FAILED',
  });
}

/** Kill a process group (or the process, where there are none), ignoring one already gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, signal);
  } catch {
    // already gone
  }
}

function appendTail(tail: { text: string }, chunk: Buffer): void {
  tail.text = (tail.text + chunk.toString('utf8')).slice(-TAIL);
}

/** Run `command` in its own process group; resolves when it has exited and its group is gone. */
function runCommand(
  plan: TrialPlan,
  env: Record<string, string>,
): Promise<{ exitCode: number | null; timedOut: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const tail = { text: '' };
    const child = spawn(plan.command!, {
      shell: true,
      cwd: plan.cwd,
      env: { ...plan.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    if (child.pid !== undefined) live.groups.add(child.pid);
    child.stdout.on('data', (c: Buffer) => appendTail(tail, c));
    child.stderr.on('data', (c: Buffer) => appendTail(tail, c));
    let timedOut = false;
    let kill: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid, 'SIGTERM');
      kill = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 2000);
    }, plan.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new StewardError(`cannot run the test command: ${error.message}`, {
          code: 'STEWARD_BISECT_HOST_FAILED',
        }),
      );
    });
    // When the shell exits, what it left running in the background (holding its output open,
    // perhaps) goes with it; its output is complete once the whole group is gone.
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearTimeout(kill);
      killGroup(child.pid, 'SIGKILL');
      if (child.pid !== undefined) live.groups.delete(child.pid);
      child.once('close', () => resolve({ exitCode: code, timedOut, output: tail.text }));
    });
  });
}

/** The next message of `host` of one of `types`; rejects when the host exits or errors first. */
function nextMessage<T extends TrialHostMessage['type']>(
  host: ChildProcess,
  type: T,
  output: { text: string },
  timeoutMs: number,
): Promise<Extract<TrialHostMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      host.off('message', onMessage);
      host.off('exit', onExit);
    };
    const onMessage = (m: TrialHostMessage): void => {
      if (m.type === type) {
        done();
        resolve(m as Extract<TrialHostMessage, { type: T }>);
      } else if (m.type === 'error') {
        done();
        reject(hostFailed(`failed: ${m.message}`, output.text));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      done();
      reject(hostFailed(`exited before it was ${type} (${signal ?? `code ${code}`})`, output.text));
    };
    const timer = setTimeout(() => {
      done();
      reject(hostFailed(`was not ${type} after ${timeoutMs} ms`, output.text));
    }, timeoutMs);
    host.on('message', onMessage);
    host.once('exit', onExit);
  });
}

function matches(finding: TrialFinding, wanted: readonly string[]): boolean {
  return wanted.includes(finding.group) || wanted.includes(finding.kind);
}

/** Run one trial with `enabled` (and only those) plugins active. */
export async function runTrial(
  plan: TrialPlan,
  enabled: readonly string[],
  run: number,
): Promise<TrialEvidence & { failed: boolean }> {
  const config: TrialHostConfig = { ...plan.host, enabled };
  const output = { text: '' };
  const host = fork(hostEntry(), [JSON.stringify(config)], {
    cwd: plan.cwd,
    env: { ...plan.env } as NodeJS.ProcessEnv,
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  live.hosts.add(host);
  host.stdout?.on('data', (c: Buffer) => appendTail(output, c));
  host.stderr?.on('data', (c: Buffer) => appendTail(output, c));
  const exited = new Promise<void>((resolve) => {
    if (host.exitCode !== null || host.signalCode !== null) resolve();
    else host.once('exit', () => resolve());
  });
  try {
    const ready = await nextMessage(host, 'ready', output, START_TIMEOUT_MS);
    const on = new Set(enabled);
    const ran = plan.command
      ? await runCommand(plan, {
          STEWARD_MONITOR_URL: ready.url,
          STEWARD_BISECT_ENABLED: enabled.join(','),
          STEWARD_BISECT_DISABLED: plan.all.filter((id) => !on.has(id)).join(','),
          STEWARD_BISECT_RUN: String(run),
        })
      : await new Promise<undefined>((resolve) => setTimeout(resolve, plan.durationMs));
    const done = nextMessage(host, 'done', output, plan.host.deadlineMs + 60_000);
    host.send({ type: 'stop' });
    const { findings } = await done;
    const counted = findings.filter((f) => matches(f, plan.findings));
    const failed = (ran !== undefined && (ran.timedOut || ran.exitCode !== 0)) || counted.length > 0;
    return {
      failed,
      exitCode: ran?.exitCode,
      timedOut: ran?.timedOut ?? false,
      output: ran?.output ?? '',
      findings: counted,
      problems: ready.problems,
    };
  } finally {
    const grace = setTimeout(() => host.kill('SIGKILL'), 10_000);
    if (host.connected) host.disconnect();
    await exited;
    clearTimeout(grace);
    live.hosts.delete(host);
  }
}
