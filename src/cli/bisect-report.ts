/**
 * What `steward bisect` prints about runs and culprits: a run in one line (the command's end, the
 * findings), and the final report — each culprit with the failing and the passing run that show
 * it, the unconfirmed and the not-judged plugins, and the number of runs.
 */
import type { BisectResult, Trial } from '../plugins/bisect.js';
import type { TrialEvidence } from './bisect-trial.js';
import type { CommandIO } from './command.js';

/** What a run showed, in one line: the command's end and the findings (the first one in full). */
export function describeRun(trial: Trial<TrialEvidence>): string {
  const e = trial.evidence;
  const parts: string[] = [];
  if (e.exitCode !== undefined || e.timedOut) {
    parts.push(e.timedOut ? 'test timed out' : `test exited ${e.exitCode ?? 'by a signal'}`);
  }
  const [first] = e.findings;
  if (first) {
    const more = e.findings.length > 1 ? ` (+${e.findings.length - 1} more)` : '';
    parts.push(`${first.kind}${first.plugin ? ` in ${first.plugin}` : ''}${more}`);
  }
  return parts.join('; ');
}

/** A run's findings, one a line (at most `max`). */
function findingLines(trial: Trial<TrialEvidence>, max = 5): string {
  const { findings } = trial.evidence;
  const lines = findings
    .slice(0, max)
    .map((f) => `         ${f.kind}${f.plugin ? ` in ${f.plugin}` : ''}: ${f.message}\n`);
  if (findings.length > max) lines.push(`         … and ${findings.length - max} more\n`);
  return lines.join('');
}

/** The last non-empty line of `output`. */
export function lastLine(output: string): string | undefined {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1);
}

function enabledList(trial: Trial<unknown>): string {
  return trial.enabled.length === 0 ? '(none)' : trial.enabled.join(', ');
}

/** The report of a finished search, on stdout. */
export function report(result: BisectResult<TrialEvidence>, io: CommandIO, candidates: number): void {
  for (const c of result.culprits) {
    const needs = [
      ...(c.dependencies.length > 0
        ? [
            `with its ${c.dependencies.length > 1 ? 'dependencies' : 'dependency'} ${c.dependencies.join(', ')}`,
          ]
        : []),
      ...(c.companions.length > 0 ? [`only with ${c.companions.join(', ')}`] : []),
    ];
    io.stdout(`culprit: ${c.id}${needs.length > 0 ? ` (${needs.join('; ')})` : ''}\n`);
    io.stdout(`  fails  (run ${c.failing.run}) with ${enabledList(c.failing)}: ${describeRun(c.failing)}\n`);
    io.stdout(findingLines(c.failing));
    const line = lastLine(c.failing.evidence.output);
    if (line) io.stdout(`         last output: ${line}\n`);
    io.stdout(`  passes (run ${c.passing.run}) with ${enabledList(c.passing)}\n`);
  }
  for (const c of result.unconfirmed) {
    io.stdout(
      `unconfirmed: ${c.id}: failed in run ${c.failing.run}, passed when run again (a flaky test?)\n`,
    );
  }
  for (const [id, by] of result.masked) {
    io.stdout(`not judged: ${id} (depends on culprit ${by}, so it never ran without it)\n`);
  }
  io.stdout(
    `${result.culprits.length} culprit(s) among ${candidates} plugin(s) in ${result.trials.length} run(s)` +
      `${result.alwaysOn.length > 0 ? `; always on: ${result.alwaysOn.join(', ')}` : ''}\n`,
  );
}
