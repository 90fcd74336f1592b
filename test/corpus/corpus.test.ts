/**
 * The corpus: plugins written as a careless or hostile third party would, each run through
 * the real `steward run` and through an embedded `PluginHost`, checked from outside (see
 * harness.ts). Entries listed in PENDING.md wait for a fix in another change and are not run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { batches, CORPUS, checkRun, corpusEntries, modesOf, pendingEntries } from './harness.js';
import { killLeftovers, runBatch } from './harness-host.js';

const all = corpusEntries();
const pending = pendingEntries();
// CORPUS_ONLY=name,name runs only those entries (pending ones too): for working on an entry.
const only = process.env.CORPUS_ONLY?.split(',').filter(Boolean);
const entries = all.filter((e) => (only ? only.includes(e.name) : !pending.has(e.name)));

afterAll(killLeftovers);

describe('the corpus itself', () => {
  it('has at least 40 entries, each listed in README.md, and PENDING.md names only entries', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    const readme = readFileSync(join(CORPUS, 'README.md'), 'utf8');
    const unlisted = all.filter((e) => !readme.includes(`\`${e.name}\``)).map((e) => e.name);
    expect(unlisted).toEqual([]);
    expect([...pending.keys()].filter((name) => !all.some((e) => e.name === name))).toEqual([]);
  });
});

describe.concurrent('corpus plugins, checked from outside', () => {
  for (const batch of batches(entries)) {
    for (const mode of modesOf(batch[0]!)) {
      it(`${mode === 'cli' ? 'steward run' : 'PluginHost'}: ${batch.map((e) => e.name).join(', ')}`, async () => {
        const run = await runBatch(batch, mode);
        expect(checkRun(batch, run), `host output:\n${run.output}`).toEqual([]);
      }, 150_000); // the harness's own bounds (ready, exit, settle) add up to less
    }
  }
});
