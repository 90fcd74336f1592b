import { execFile } from 'node:child_process';
import { join, relative } from 'node:path';
import { FIXTURES, type Fixture, startFixture } from '../node/fixture-process.js';

/** The project root. */
export const root = join(import.meta.dirname, '../..');
/** The built binary, as package.json `bin` names it (test/global-setup.ts builds dist/). */
const MAIN = join(root, 'dist/cli/main.js');

/** What a run of the CLI printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real `steward` binary (dist/cli/main.js) in the project root. */
export function steward(args: string[], env: Record<string, string> = {}, timeout = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { cwd: root, env: { ...process.env, ...env, NO_COLOR: '1' }, timeout },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * Start the real `steward` binary as a long-running process (plain `node dist/cli/main.js`, no
 * loader of the tests' own), for tests that talk to it while it runs and signal its pid.
 */
export function startSteward(args: readonly string[], env: NodeJS.ProcessEnv = {}): Fixture {
  return startFixture(relative(FIXTURES, MAIN), args, { NO_COLOR: '1', ...env }, []);
}
