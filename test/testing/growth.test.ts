import { describe, expect, it } from 'vitest';
import { expectNoGrowth } from '../../src/testing/index.js';

describe('expectNoGrowth', () => {
  it('rejects an operation that keeps something each time, saying how much', async () => {
    const kept: Uint8Array[] = [];
    const error = await expectNoGrowth(() => kept.push(new Uint8Array(64 * 1024).fill(1)), {
      repeats: 10,
      label: 'open-panel',
    }).catch((e: Error & { code?: string }) => e);
    expect((error as { code?: string }).code).toBe('STEWARD_HEAP_GROWTH');
    expect((error as Error).message).toMatch(/grows by about \d+ bytes each time open-panel runs/);
  });

  it('passes an operation that frees what it makes, even with a one-off allocation (noise)', async () => {
    let once: unknown;
    const report = await expectNoGrowth(
      (i) => {
        const scratch = Array.from({ length: 1000 }, (_, k) => ({ k }));
        if (i === 8) once = new Uint8Array(32 * 1024 * 1024); // a cache filled once: a jump, not a trend
        return scratch.length;
      },
      // A tolerance far above what a loaded machine's background allocations add per step (up to
      // ~0.5 MB seen in a full run at load 20), far
      // below the one-off jump: the jump alone moves the slope past it, so the median rule is
      // what passes the operation.
      { repeats: 12, bytesPerRepeat: 1024 * 1024 },
    );
    expect(report.samples).toHaveLength(13);
    expect(once).toBeDefined();
    expect(report.slope).toBeGreaterThan(1024 * 1024);
    expect(report.medianStep).toBeLessThanOrEqual(1024 * 1024);
  });

  it('passes a warm-up that flattens (it grows for 30 runs, then not at all), measuring it again', async () => {
    const kept: Uint8Array[] = [];
    const report = await expectNoGrowth(
      (i) => {
        if (i < 30) kept.push(new Uint8Array(64 * 1024).fill(1)); // 64 KB each, then none
      },
      { repeats: 20, bytesPerRepeat: 16 * 1024 },
    );
    expect(report.rounds).toBeGreaterThanOrEqual(2);
    expect(kept).toHaveLength(30);
  });

  it('rejects a growth that keeps its pace in the second round', async () => {
    const kept: Uint8Array[] = [];
    const error = await expectNoGrowth(() => kept.push(new Uint8Array(64 * 1024).fill(1)), {
      repeats: 10,
      bytesPerRepeat: 16 * 1024,
    }).catch((e: Error & { code?: string }) => e);
    expect((error as { code?: string }).code).toBe('STEWARD_HEAP_GROWTH');
    expect(kept.length).toBe(23); // warm-up 3, two rounds of 10: confirmed, not guessed from one
  });

  it('rejects bad options', async () => {
    await expect(expectNoGrowth(() => {}, { repeats: 2 })).rejects.toThrow(
      /repeats must be a finite number >= 5/,
    );
  });
});
