/**
 * `steward/testing` is imported by a test setup file, so once per test file: what it loads at
 * import is paid by every file of a user's suite (the leak gate's overhead, BENCHMARKS.md). The
 * heap snapshot reader and the retainer analysis are loaded with the first snapshot instead.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');

/** The files `entry` loads at import: static imports and re-exports, not `import type`, not `import()`. */
function staticClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)(\s+type\b)?[^'";]*?from\s*['"](\.[^'"]+)['"]/gm)) {
      if (m[1]) continue; // types only: erased
      queue.push(resolve(dirname(file), m[2]!.replace(/\.js$/, '.ts')));
    }
    for (const m of text.matchAll(/^import\s*['"](\.[^'"]+)['"]/gm)) {
      queue.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
    }
  }
  return new Set([...seen].map((f) => f.slice(src.length + 1)));
}

describe('steward/testing at import', () => {
  const closure = staticClosure(join(src, 'testing/index.ts'));

  it('follows the imports it is meant to find (the check can fail)', () => {
    expect(closure).toContain('testing/leak-check.ts');
    expect(closure).toContain('node/heap-capture.ts');
    expect(closure).toContain('plugins/unload-verifier.ts');
  });

  it('loads neither the heap snapshot reader nor the retainer analysis, nor the whole Node layer', () => {
    const heavy = [
      'node/heap-reader.ts',
      'node/leak-forensics.ts',
      'node/retainer-graph.ts',
      'node/index.ts',
    ];
    expect(heavy.filter((f) => closure.has(f))).toEqual([]);
  });
});
