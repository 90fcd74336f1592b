/**
 * Child-process runner of the docs test for ```js plugin=<id> blocks: hosts the plugins of a
 * folder, activates one (its dependencies first), deactivates everything, and exits 1 with the
 * reason if the plugin failed, left resources or handles behind (handle attribution is on),
 * or did not leave exactly the untracked handles the docs say it leaks.
 *
 *   node test/docs/host-plugin.mjs <plugins dir> <id> <expected leaks> <storage dir>
 *
 * Plain JavaScript importing the built package by its name (`steward` refers to this package
 * itself, through its exports): it starts in a plain `node`, without a TypeScript loader.
 */
import { ResourceManager } from 'steward';
import { PluginHost } from 'steward/plugins';

const [dir, id, expected, storageDir] = process.argv.slice(2);
if (!dir || !id || expected === undefined || !storageDir) {
  process.stderr.write('usage: host-plugin.mjs <plugins dir> <id> <expected leaks> <storage dir>\n');
  process.exit(2);
}

/** @type {string[]} */
const problems = [];
/** @type {import('steward/plugins').LogRecord[]} */
const logs = [];
const manager = new ResourceManager({ leakTracking: true });
/** @type {import('steward').LeakEvent[]} */
const leaks = [];
manager.on('leakDetected', (leak) => leaks.push(leak));
const host = new PluginHost({
  manager,
  dirs: [dir],
  storageDir,
  log: (record) => logs.push(record),
  attribution: { captureStacks: true, reclaim: true },
});
host.on('failed', ({ id: failed, phase, error }) =>
  problems.push(
    `plugin "${failed}" failed (${phase}): ${error instanceof Error ? error.stack : String(error)}`,
  ),
);

const { errors } = await host.discover();
for (const error of errors) problems.push(`bad manifest: ${error.message}`);
const info = await host.activate(id);
if (info.state !== 'active')
  problems.push(`plugin "${id}" ended ${info.state}${info.error ? `: ${info.error}` : ''}`);
const resources = info.resources;
await host.dispose();
if (manager.activeResources !== 0) {
  const left = manager.components().map((c) => `${c.id}: ${c.resourceCount} resource(s)`);
  problems.push(`resources left after the host was disposed: ${left.join(', ')}`);
}
const untracked = leaks.filter((l) => l.kind === 'untracked-handle');
if (untracked.length !== Number(expected)) {
  problems.push(
    `expected ${expected} untracked handle(s), attribution found ${untracked.length}` +
      untracked.map((l) => `\n  - ${l.message}\n${l.stack ?? ''}`).join(''),
  );
}
await manager.dispose({ force: true });

for (const r of logs) process.stderr.write(`[${r.plugin}] ${r.level}: ${r.message} ${r.args.join(' ')}\n`);
process.stdout.write(`${JSON.stringify({ id, resources, leaks: untracked.map((l) => l.message) })}\n`);
if (problems.length > 0) process.stderr.write(`${problems.join('\n')}\n`);
process.exit(problems.length > 0 ? 1 : 0);
