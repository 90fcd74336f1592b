/**
 * Finds a Chromium for the browser tests and launches it headless through playwright-core.
 *
 * Order: an explicit `STEWARD_CHROMIUM` path, a system Chromium (`chromium`, `chromium-browser`,
 * `google-chrome` on the PATH, or Debian's `/usr/bin/chromium`), then the Chromium that arrives
 * with `npm install` (the dev dependency `@sparticuz/chromium`, whose binary ships inside the
 * package and is unpacked on first use). No test is skipped for lack of a browser.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

/** Flags every launch gets: headless, no sandbox (CI runs as root), no background networking. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--no-zygote',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const SYSTEM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const SYSTEM_PATHS = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (executable(candidate)) return candidate;
  }
  return undefined;
}

/** Where the browser came from, for messages. */
export interface ChromiumLocation {
  readonly path: string;
  readonly source: 'STEWARD_CHROMIUM' | 'system' | '@sparticuz/chromium';
}

let found: Promise<ChromiumLocation> | undefined;

/** Resolves the Chromium to use (once per process); rejects with what to do when none is found. */
export function findChromium(): Promise<ChromiumLocation> {
  found ??= locate();
  return found;
}

async function locate(): Promise<ChromiumLocation> {
  const explicit = process.env.STEWARD_CHROMIUM;
  if (explicit) {
    if (!executable(explicit))
      throw new Error(
        `STEWARD_CHROMIUM=${explicit} is not an executable file: point it at a Chromium or unset it.`,
      );
    return { path: explicit, source: 'STEWARD_CHROMIUM' };
  }
  for (const name of SYSTEM_NAMES) {
    const path = onPath(name);
    if (path) return { path, source: 'system' };
  }
  for (const path of SYSTEM_PATHS)
    if (existsSync(path) && executable(path)) return { path, source: 'system' };
  try {
    const mod = (await import('@sparticuz/chromium')) as { default: { executablePath(): Promise<string> } };
    return { path: await mod.default.executablePath(), source: '@sparticuz/chromium' };
  } catch (error) {
    throw new Error(
      'No Chromium found: set STEWARD_CHROMIUM to a Chromium binary, install one on the PATH, ' +
        `or run \`npm install\` (it brings @sparticuz/chromium). Cause: ${(error as Error).message}`,
    );
  }
}

/** Launches the found Chromium headless with {@link CHROMIUM_ARGS} (plus `extraArgs`). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  const { path } = await findChromium();
  return chromium.launch({ executablePath: path, args: [...CHROMIUM_ARGS, ...extraArgs] });
}
