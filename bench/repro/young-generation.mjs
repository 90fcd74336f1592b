/**
 * Node alone, no Steward: why a reload loop's host RSS, read after `gc()`, grows on Node 24. A
 * loop that makes short-lived garbage while a little of it survives a few scavenges (as a reload
 * loop does: promises, records, messages in flight) grows V8's young generation — on Node 24 up
 * to 64 MiB of new space, on Node 20 up to 32 MiB — and `gc()` leaves its pages resident; a
 * last-resort collection (what V8 runs under memory pressure) gives them back on Node 24. Measured
 * (2026-12-02, load ~5): Node 24 +66.5 MiB after gc() (new space 8 → 64 MiB), −8.7 MiB after a
 * last-resort one; Node 20 +20.2 MiB (8 → 32 MiB) either way. bench/plugins.bench.ts reads its
 * reload RSS after a last-resort collection for this reason.
 *
 * Usage: node --expose-gc bench/repro/young-generation.mjs [steps]
 */
import { getHeapSpaceStatistics } from 'node:v8';

const steps = Number(process.argv[2] ?? 1000);
const rss = () => process.memoryUsage().rss / 2 ** 20;
const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
const settle = async () => {
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
};
let keep = [];
const step = async () => {
  const garbage = [];
  for (let i = 0; i < 3000; i++) garbage.push(`pid ${i} ${Math.random()}`.split(' '));
  keep.push(garbage.slice(0, 50)); // survives a scavenge or two, then goes
  if (keep.length > 20) keep.shift();
  await new Promise((r) => setTimeout(r, 1));
};
for (let i = 0; i < 20; i++) await step();
await settle();
const r0 = rss(),
  y0 = young();
for (let i = 0; i < steps; i++) await step();
keep = [];
await settle();
const r1 = rss(),
  y1 = young();
gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
await new Promise((r) => setTimeout(r, 100));
const r2 = rss();
console.log(
  `${process.version} ${steps} steps: RSS +${(r1 - r0).toFixed(1)} MiB after gc() (new space ${y0.toFixed(1)} -> ${y1.toFixed(1)} MiB), +${(r2 - r0).toFixed(1)} MiB after a last-resort gc`,
);
