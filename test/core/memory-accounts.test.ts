/**
 * docs/architecture.md: "Memory accounting has its own module" — every change of a byte count,
 * a limit count or the LRU order is written in src/core/memory.ts and nowhere else in the core
 * (components only declare their counters), and the manager's figures are that module's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';

const core = join(import.meta.dirname, '../../src/core');
/** A write to a byte counter, the limited-components count, the total, or an LRU map. */
const WRITE =
  /\.(_ownBytes|_subtreeBytes|total|limited)\s*(\+\+|--|[+-]?=(?!=))|\._?lru\??\.(set|delete|clear)\(/;

describe('memory accounting has its own module', () => {
  it('no core file but memory.ts writes byte counts, limit counts or the LRU order', () => {
    const offenders: string[] = [];
    for (const name of readdirSync(core).filter((f) => f.endsWith('.ts') && f !== 'memory.ts')) {
      readFileSync(join(core, name), 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (WRITE.test(line)) offenders.push(`src/core/${name}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(offenders).toEqual([]);
  });

  it("the manager's total, limit and eviction go through its one MemoryAccounts", () => {
    const manager = new ResourceManager({ memoryLimit: { bytes: 100, policy: 'evict' } });
    const c = manager.register('c');
    const a = c.track({}, { size: 60, evictable: true, dispose: () => {} });
    c.track({}, { size: 30, dispose: () => {} });
    expect(manager.totalBytes).toBe(90);
    expect(manager._memory.total).toBe(90);
    c.track({}, { size: 30, dispose: () => {} }); // past the limit: the evictable one goes
    expect(a.released).toBe(true);
    expect(manager.totalBytes).toBe(60);
    expect(manager._memory.lru.size).toBe(0);
    manager.setMemoryLimit(undefined);
    expect(manager._memory.limit).toBeUndefined();
  });
});
