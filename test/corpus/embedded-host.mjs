/**
 * A program embedding `PluginHost`, as docs/plugins.md shows, for the corpus harness: hosts
 * the plugins of one folder with attribution on, prints what `steward run` prints about them
 * (log lines, leak findings, rejected manifests) and a JSON line when started; answers
 * `list` on stdin with a JSON line of the plugins' states; on SIGTERM/SIGINT disposes the host
 * (with a 5 s deadline, as the CLI hosts run with `--deadline 5000`) and exits 143/130. It installs no Steward shutdown path: an application's own.
 */
import { createInterface } from 'node:readline';
import { ResourceManager } from '../../dist/core/index.js';
import { formatLogLine, PluginHost } from '../../dist/plugins/index.js';

const dir = process.argv[2];
const manager = new ResourceManager({ leakTracking: true });
const write = (line) => process.stderr.write(`${line}\n`);
manager.on('leakDetected', (leak) => {
  if (leak.kind !== 'untracked-handle') write(`leak (${leak.kind}): ${leak.message}`);
});
const host = new PluginHost({
  manager,
  dirs: [dir],
  attribution: { reclaim: true, captureStacks: true },
  log: (r) => write(formatLogLine(r)),
});
host.on('failed', ({ id, phase, error }) =>
  write(`  ✗ ${id} failed (${phase}): ${error instanceof Error ? error.message : String(error)}`),
);
host.on('blocked', ({ id, reason }) => write(`  • ${id} blocked: ${reason}`));
host.on('discoveryError', ({ error }) => write(`  ✗ ${error.message}`));

let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  host
    .dispose({ deadlineMs: 5000 }) // what `steward run --deadline 5000` gives its plugins
    .then(() => manager.dispose({ force: true }))
    .finally(() => process.exit(code));
};
process.once('SIGTERM', () => stop(143));
process.once('SIGINT', () => stop(130));

const summary = await host.start();
process.stdout.write(`${JSON.stringify({ type: 'started', ...summary })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'list') {
    const plugins = host.list().map((p) => ({ id: p.id, state: p.state }));
    process.stdout.write(`${JSON.stringify({ type: 'list', plugins })}\n`);
  }
});
// A host runs until it is stopped, even when no plugin holds the event loop open.
setInterval(() => {}, 2 ** 30);
