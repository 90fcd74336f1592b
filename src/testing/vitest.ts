/**
 * Leak checks for Vitest: `installLeakCheck({ manager, beforeEach, afterEach })` at the top of
 * a test file (or in a setup file) makes every test that otherwise passed fail when it left
 * tracked resources or attributed handles behind, with their creation stacks in the message.
 * Steward does not depend on Vitest: pass its `beforeEach`/`afterEach`.
 *
 * Vitest runs `afterEach` hooks in reverse order of registration (`sequence.hooks: 'stack'`),
 * so install the check BEFORE registering hooks that clean up legitimately: they then run first.
 */

import { StewardTypeError } from '../core/errors.js';
import { LeakChecker, type LeakCheckOptions } from './leak-check.js';

/** The slice of Vitest's test context the check reads. */
export interface VitestHookContext {
  readonly task: { readonly result?: { readonly state?: string } | undefined };
}

/** Vitest's hook registrars (`import { beforeEach, afterEach } from 'vitest'`). */
export interface VitestHooks {
  beforeEach(fn: () => unknown): unknown;
  afterEach(fn: (context: VitestHookContext) => unknown): unknown;
}

/** Install the leak check for the tests of the current file/suite; returns the checker. */
export function installLeakCheck(options: LeakCheckOptions & VitestHooks): LeakChecker {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('installLeakCheck(options): options must be an object.');
  }
  if (typeof options.beforeEach !== 'function' || typeof options.afterEach !== 'function') {
    throw new StewardTypeError(
      "installLeakCheck(): pass Vitest's hooks: import { afterEach, beforeEach } from 'vitest'; installLeakCheck({ manager, beforeEach, afterEach }).",
    );
  }
  const checker = new LeakChecker(options);
  options.beforeEach(() => {
    checker.begin();
  });
  options.afterEach(async (context) => {
    await checker.end(context.task.result?.state === 'pass');
  });
  return checker;
}
