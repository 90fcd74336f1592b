import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '../../src/core');
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('src/core is platform-neutral', () => {
  it('imports no Node built-in module and nothing outside src/core', () => {
    const offenders: string[] = [];
    const files = sources(coreDir);
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g,
      )) {
        const spec = (match[1] ?? match[2])!;
        const root = spec.startsWith('node:') ? spec : spec.split('/')[0]!;
        if (builtins.has(root) || builtins.has(spec)) offenders.push(`${file}: ${spec}`);
        else if (!spec.startsWith('./'))
          offenders.push(`${file}: ${spec} (core may only import its own files)`);
      }
      if (/\bprocess\.|\brequire\(|\bBuffer\b/.test(text)) offenders.push(`${file}: uses a Node global`);
    }
    expect(offenders).toEqual([]);
  });
});
