import { execFile } from 'node:child_process';
import { join } from 'node:path';

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
