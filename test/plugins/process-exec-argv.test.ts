/**
 * What a plugin process inherits of the host's Node options: everything but a TypeScript
 * loader when the plugin's entry is JavaScript (the process entry is compiled, so the loader
 * would only cost start-up time in every plugin process), and the young generation it gets
 * beside a heap limit.
 */
import { describe, expect, it } from 'vitest';
import { inheritedExecArgv, semiSpaceMb } from '../../src/plugins/transport-process.js';

describe('inheritedExecArgv', () => {
  it('drops tsx, ts-node and swc-node loaders for a JavaScript entry, in both flag spellings', () => {
    expect(inheritedExecArgv('/p/index.js', ['--import', 'tsx', '--expose-gc'])).toEqual(['--expose-gc']);
    expect(
      inheritedExecArgv('/p/index.mjs', [
        '--require',
        '/x/node_modules/tsx/dist/preflight.cjs',
        '--import=file:///x/node_modules/tsx/dist/loader.mjs',
        '--loader',
        'ts-node/esm',
        '-r',
        '@swc-node/register',
        '--max-old-space-size=100',
      ]),
    ).toEqual(['--max-old-space-size=100']);
  });

  it('keeps every other preload, and everything for a TypeScript entry', () => {
    const otel = ['--import', './otel.js', '--require=./trace.cjs'];
    expect(inheritedExecArgv('/p/index.js', otel)).toEqual(otel);
    expect(inheritedExecArgv('/p/index.ts', ['--import', 'tsx'])).toEqual(['--import', 'tsx']);
    expect(inheritedExecArgv('/p/index.mts', ['--import=tsx'])).toEqual(['--import=tsx']);
  });
});

describe('semiSpaceMb', () => {
  it('sizes the young generation at a sixteenth of the heap limit, 1–16 MB', () => {
    expect(semiSpaceMb(16)).toBe(1);
    expect(semiSpaceMb(32)).toBe(2);
    expect(semiSpaceMb(100)).toBe(6);
    expect(semiSpaceMb(4096)).toBe(16);
  });
});
