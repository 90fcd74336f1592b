/**
 * Leak checks for `node:test`: `installNodeTestLeakCheck({ manager })` at the top of a test
 * file registers `beforeEach`/`afterEach` hooks (node:test's own, or the ones passed) that fail
 * every test which otherwise passed (`t.passed`) but left tracked resources or attributed
 * handles behind, with their creation stacks in the message.
 */
import { createRequire } from 'node:module';
import { StewardTypeError } from '../core/errors.js';
import { LeakChecker, type LeakCheckOptions } from './leak-check.js';

/** The slice of node:test's TestContext the check reads. */
export interface NodeTestHookContext {
  readonly passed?: boolean;
}

/** Hook registrars; default: `node:test`'s `beforeEach` and `afterEach`. */
export interface NodeTestHooks {
  readonly beforeEach?: (fn: () => unknown) => unknown;
  readonly afterEach?: (fn: (context: NodeTestHookContext) => unknown) => unknown;
}

/** Install the leak check for the tests of the current file; returns the checker. */
export function installNodeTestLeakCheck(options: LeakCheckOptions & NodeTestHooks): LeakChecker {
  if (options === null || typeof options !== 'object') {
    throw new StewardTypeError('installNodeTestLeakCheck(options): options must be an object.');
  }
  const nodeTest =
    options.beforeEach && options.afterEach
      ? undefined
      : (createRequire(import.meta.url)('node:test') as Required<NodeTestHooks>);
  const beforeEach = options.beforeEach ?? nodeTest!.beforeEach;
  const afterEach = options.afterEach ?? nodeTest!.afterEach;
  const checker = new LeakChecker(options);
  beforeEach(() => {
    checker.begin();
  });
  afterEach(async (context) => {
    await checker.end(context.passed !== false);
  });
  return checker;
}
