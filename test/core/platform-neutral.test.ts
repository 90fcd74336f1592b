import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '../../src');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Imports of a layer that break its promise: Node built-ins, Node globals, or modules outside `allowed`. */
function offenders(layer: string, allowed: (spec: string) => boolean): string[] {
  const found: string[] = [];
  const files = sources(join(src, layer));
  expect(files.length).toBeGreaterThan(5);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(
      /(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm,
    )) {
      const spec = (match[1] ?? match[2] ?? match[3])!;
      const root = spec.startsWith('node:') ? spec : spec.split('/')[0]!;
      if (builtins.has(root) || builtins.has(spec)) found.push(`${file}: ${spec}`);
      else if (!allowed(spec)) found.push(`${file}: ${spec} (not allowed in src/${layer})`);
    }
    if (/\bprocess\.|\brequire\(|\bBuffer\b/.test(text)) found.push(`${file}: uses a Node global`);
  }
  return found;
}

describe('src/core is platform-neutral', () => {
  it('imports no Node built-in module and nothing outside src/core', () => {
    expect(offenders('core', (spec) => spec.startsWith('./'))).toEqual([]);
  });
});

describe('src/dom runs in a browser', () => {
  it('imports no Node built-in module; only its own files and the core through its public index', () => {
    expect(offenders('dom', (spec) => spec.startsWith('./') || spec === '../core/index.js')).toEqual([]);
  });
});
