/**
 * What `steward run` prints: the status table, the live progress lines of the host's events
 * (activations, failures, reloads, unloads, rejected manifests, unload findings), a finding with
 * its retainer path and creation stack, and log records without the stacks of plugin faults.
 */
import type { PluginHost as Host, LogRecord, PluginInfo, UnloadFinding } from '../plugins/index.js';
import type { CommandIO } from './command.js';
import { formatBytes, renderTable } from './format.js';

const STATE_MARK: Record<string, string> = { active: '✓', failed: '✗', blocked: '•', paused: '‖' };

/** The plugins as a table, one row each, a mark for its state first. */
export function statusTable(plugins: readonly PluginInfo[]): string {
  return renderTable(plugins, [
    { title: '', value: (p) => STATE_MARK[p.state] ?? ' ' },
    { title: 'plugin', value: (p) => p.id },
    { title: 'version', value: (p) => p.version },
    { title: 'state', value: (p) => p.state },
    { title: 'isolation', value: (p) => p.isolation },
    { title: 'resources', value: (p) => String(p.resources), right: true },
    { title: 'memory', value: (p) => formatBytes(p.bytes), right: true },
    {
      title: 'activate',
      value: (p) => (p.activateMs === undefined ? '-' : `${p.activateMs.toFixed(1)} ms`),
      right: true,
    },
    { title: 'problem', value: (p) => p.error ?? (p.blockedBy ? `needs ${p.blockedBy}` : '') },
  ]);
}

/** Live progress lines from the host's events. Resolves `rejected` to the manifests rejected. */
export function progress(
  host: Host,
  io: CommandIO,
  where: (id: string, error: unknown) => string,
): { rejected: number } {
  const counts = { rejected: 0 };
  host.on('activated', ({ id, ms }) => io.stderr(`  ✓ ${id} active (${ms.toFixed(1)} ms)\n`));
  host.on('failed', ({ id, phase, error }) =>
    io.stderr(
      `  ✗ ${id} failed (${phase}): ${error instanceof Error ? error.message : String(error)}${where(id, error)}\n`,
    ),
  );
  host.on('blocked', ({ id, reason }) => io.stderr(`  • ${id} blocked: ${reason}\n`));
  host.on('reloaded', ({ id, ms, plugins }) => {
    // The host ends a reload that failed too: say so, never "reloaded".
    const state = host.get(id)?.state;
    if (state !== 'active' && state !== 'paused') {
      io.stderr(
        `  ✗ reload of ${id} failed: it is ${state ?? 'gone'}; fix it and save again, or reload it\n`,
      );
      return;
    }
    io.stderr(
      `  ↻ reloaded ${id}${plugins.length > 1 ? ` with ${plugins.slice(1).join(', ')}` : ''} (${ms.toFixed(0)} ms)\n`,
    );
  });
  host.on('unloaded', ({ id }) => io.stderr(`  ○ unloaded ${id}\n`));
  host.on('discoveryError', ({ error }) => {
    counts.rejected++;
    io.stderr(`  ✗ ${error.message}\n`);
  });
  host.on('unloadVerified', ({ findings, error }) => {
    for (const f of findings) io.stderr(formatUnloadFinding(f));
    if (error && findings.length === 0) io.stderr(`  ⚠ unload verification: ${error}\n`);
  });
  return counts;
}

/** A finding as `steward run` prints it: the message, the path one hop a line, where it was created. */
export function formatUnloadFinding(f: UnloadFinding): string {
  const lines = [`  ⚠ leak (${f.kind}): ${f.message}`];
  if (f.path) lines.push('      retained by:', ...f.path.map((hop) => `        ${hop}`));
  if (f.site && !f.site.includes('\n')) lines.push(`      created at ${f.site}`);
  const stack = f.stack ?? (f.site?.includes('\n') ? f.site : undefined);
  if (stack) {
    const frames = stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l) && !/[/\\](src|dist)[/\\](core|plugins|node)[/\\]/.test(l));
    if (frames.length > 0)
      lines.push('      creation stack:', ...frames.slice(0, 6).map((l) => `        ${l.trim()}`));
  }
  return `${lines.join('\n')}\n`;
}

const STACK = /\n\s+at /;

/**
 * An error record without the stack traces the host adds to a plugin fault (a string argument
 * holding a stack): `steward run` prints none unless asked (`--verbose`, `DEBUG`), as for its
 * own errors. Warnings keep theirs: a leak's creation stack is what the finding is about. The message says what failed; a plugin's own `ctx.log` arguments are left alone
 * unless they are stack text.
 */
export function withoutStacks(r: LogRecord): LogRecord {
  // Errors only: a leak warning's creation stack ("Listener added here: at …") is the finding.
  if (r.level !== 'error' || !r.args.some((a) => typeof a === 'string' && STACK.test(a))) return r;
  return { ...r, args: r.args.filter((a) => !(typeof a === 'string' && STACK.test(a))) };
}
