/**
 * Test helper: the package as npm publishes it. `packTarball()` copies the working tree (the
 * files git tracks or would track, so uncommitted work counts, but no `dist/`) to a scratch
 * folder and runs `npm pack` there, so `prepack` must build `dist/` from nothing — as on a
 * clean clone — without touching the `dist/` the other tests use.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** The repository root. */
export const ROOT = join(import.meta.dirname, '../..');
/** TypeScript's compiler, from the repository's dev dependencies. */
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const exec = promisify(execFile);
/** Aborts every command still running (see `stopCommands`). */
let commands = new AbortController();

/** Kill the commands still running (a test that timed out leaves its compiler behind otherwise). */
export function stopCommands(): void {
  commands.abort();
  commands = new AbortController();
}

/** An environment for child tools without the test runner's variables. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VITEST') || key === 'NODE_OPTIONS' || key.startsWith('npm_')) delete env[key];
  }
  delete env.TEST;
  return env;
}

/** What a finished command printed; rejects (with both streams in the message) on a non-zero exit. */
export async function run(
  file: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv = cleanEnv(),
): Promise<{ stdout: string; stderr: string }> {
  try {
    return await exec(file, [...args], {
      cwd,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
      signal: commands.signal,
    });
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

/** `npm` (the one on the PATH), run by the Node running the tests. */
export function npm(args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  return run(
    'npm',
    args,
    cwd,
    cleanEnv({ PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` }),
  );
}

/** One file of the tarball, as `npm pack --json` lists it. */
export interface PackedFile {
  readonly path: string;
  readonly size: number;
}

/** A packed tarball. */
export interface Tarball {
  /** Absolute path of the `.tgz`. */
  readonly file: string;
  readonly files: readonly PackedFile[];
  readonly unpackedSize: number;
  /** The scratch folder holding the copy and the tarball (remove it when done). */
  readonly scratch: string;
}

/** Copy the working tree (tracked and untracked-but-not-ignored files) and `npm pack` it. */
export async function packTarball(): Promise<Tarball> {
  const scratch = mkdtempSync(join(tmpdir(), 'steward-pack-'));
  const copy = join(scratch, 'steward');
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT);
  for (const path of stdout.split('\0').filter(Boolean)) {
    const from = join(ROOT, path);
    if (!existsSync(from) || lstatSync(from).isSymbolicLink()) continue; // deleted, or a dev symlink
    mkdirSync(dirname(join(copy, path)), { recursive: true });
    cpSync(from, join(copy, path));
  }
  // The build (prepack) needs the dev dependencies: the repository's, linked.
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
  const packed = await npm(['pack', '--json', '--pack-destination', scratch], copy);
  const [info] = JSON.parse(packed.stdout) as Array<{
    filename: string;
    files: PackedFile[];
    unpackedSize: number;
  }>;
  if (!info) throw new Error(`npm pack printed no result: ${packed.stdout}`);
  return { file: join(scratch, info.filename), files: info.files, unpackedSize: info.unpackedSize, scratch };
}
