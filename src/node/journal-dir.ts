/**
 * Where durable-resource journals live, and the safety check of that place. The default is
 * `<os.tmpdir()>/steward-<app>/`. Because recovery deletes the paths a journal names, the
 * directory must be private: owned by the current user and not writable by group or others
 * (otherwise another user of a shared /tmp could plant a journal naming your files).
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { StewardTypeError } from '../core/errors.js';
import { StewardError } from '../core/index.js';

/** The application name used when none is given: journals go to `<tmpdir>/steward-default`. */
export const DEFAULT_APP = 'default';

const APP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Check an application name used in journal paths; throws a TypeError explaining the rule. */
export function checkAppName(app: unknown, where: string): string {
  if (typeof app !== 'string' || !APP_NAME.test(app)) {
    throw new StewardTypeError(
      `${where}: app must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit ` +
        `(got ${JSON.stringify(app)}). It names the journal directory <tmpdir>/steward-<app>.`,
    );
  }
  return app;
}

/** The journal directory for `app` (default `<os.tmpdir()>/steward-<app>`), or `dir` resolved. */
export function journalDir(app: string, dir: string | undefined): string {
  return dir === undefined ? join(tmpdir(), `steward-${app}`) : resolve(dir);
}

/**
 * Throw a StewardError if `dir` is not a private directory of the current user
 * (POSIX only; on Windows the ACLs of the user profile are relied upon).
 */
export function checkPrivateDir(dir: string): void {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) {
    throw new StewardError(
      `Journal directory ${dir} is not a directory (a symlink or file is in the way); remove it or pass another { dir }.`,
      { code: 'STEWARD_JOURNAL_DIR_UNSAFE' },
    );
  }
  if (process.platform === 'win32' || typeof process.getuid !== 'function') return;
  const uid = process.getuid();
  if (stat.uid !== uid) {
    throw new StewardError(
      `Journal directory ${dir} belongs to uid ${stat.uid}, not to you (uid ${uid}); refusing to use it because ` +
        'recovery deletes the paths its journals name. Remove it, or pass a private { dir }.',
      { code: 'STEWARD_JOURNAL_DIR_UNSAFE' },
    );
  }
  if ((stat.mode & 0o022) !== 0) {
    throw new StewardError(
      `Journal directory ${dir} is writable by group or others (mode ${(stat.mode & 0o777).toString(8)}); ` +
        `refusing to use it. Run chmod 700 on it, or pass a private { dir }.`,
      { code: 'STEWARD_JOURNAL_DIR_UNSAFE' },
    );
  }
}

/** Create `dir` (mode 0700) if needed and check that it is private. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  checkPrivateDir(dir);
}
