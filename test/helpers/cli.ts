import { execFile } from 'node:child_process';
import { join } from 'node:path';

/** The project root. */
export const root = join(import.meta.dirname, '../..');
const MAIN = join(root, 'src/cli/main.ts');

/** What a run of the CLI printed and returned. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real `steward` binary (src/cli/main.ts through tsx, as `node --import tsx`). */
export function steward(args: string[], env: Record<string, string> = {}, timeout = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: root, env: { ...process.env, ...env, NO_COLOR: '1' }, timeout },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
