/**
 * Child-process entry of the benchmarks: `child.ts <suite module URL> <task> <JSON params>`.
 * Imports only the suite module (which imports only what the task needs), runs the task
 * and prints its result on one marker line for the parent (`runChild`).
 */
import { type ChildTasks, formatChildResult } from './harness.js';

const [moduleUrl, task, params] = process.argv.slice(2);
if (moduleUrl === undefined || task === undefined || params === undefined) {
  throw new Error('usage: child.ts <module URL> <task> <JSON params>');
}
const mod = (await import(moduleUrl)) as { tasks?: ChildTasks };
const fn = mod.tasks?.[task];
if (fn === undefined) throw new Error(`no task ${task} in ${moduleUrl}`);
const result = await fn(JSON.parse(params) as never);
process.stdout.write(formatChildResult(result));
