/**
 * The CPU-burning plugin the profile tests share, and what they check the temp folder with: a
 * plugin whose `ctx.setInterval` loop spins 50 ms each round (its busy line is line 6 of its
 * `index.js`) and logs "warm" after 30 rounds — by then V8 has optimized `burnCpu`, which a
 * profile started later would sample as Node's timer code unless the profile start deoptimizes it.
 */
import { readdir } from 'node:fs/promises';

/** The busy plugin's code; a round every `intervalMs`. */
export function busyPluginCode(intervalMs: number): string {
  return `export default {
  activate(ctx) {
    let rounds = 0;
    ctx.setInterval(function burnCpu() {
      const end = Date.now() + 50;
      while (Date.now() < end) {} // line 6: the busy loop
      if (++rounds === 30) ctx.log.info('warm');
    }, ${intervalMs});
  },
};
`;
}

/** Every file under `dir`, relative paths, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).map(String).sort();
}
