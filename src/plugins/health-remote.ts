/**
 * What the health watch reads of a worker or process plugin each tick, from the host's side:
 * heap, event-loop utilisation over a sliding window, and whether it still answers.
 */

import { type HealthHost, say, type Watch } from './health-types.js';
import type { PluginRecord } from './host-registry.js';
import { runtimeOf } from './plugin-state.js';

/**
 * Read a worker or process plugin's figures from the host's side, on each tick: its heap, its ELU
 * over the sliding `windowMs`, and whether it still talks — silent for `unresponsiveMs`, it is
 * `unresponsive` (an event and a warning, not a failure) until it is heard again.
 */
export function readRemote(
  host: HealthHost,
  record: PluginRecord,
  w: Watch,
  now: number,
  windowMs: number,
  unresponsiveMs: number,
): void {
  const stats = runtimeOf(record.status)?.stats();
  if (stats === undefined) return;
  w.heapUsed = stats.heap?.used;
  if (stats.loop !== undefined) {
    w.samples.push({ t: now, idle: stats.loop.idle, active: stats.loop.active });
    while (w.samples.length > 2 && now - w.samples[1]!.t >= windowMs) w.samples.shift();
    const first = w.samples[0]!;
    const last = w.samples[w.samples.length - 1]!;
    const busy = last.active - first.active;
    const total = busy + (last.idle - first.idle);
    w.elu = total > 0 ? busy / total : w.elu;
  }
  if (stats.heardAt !== undefined) {
    const silentMs = now - stats.heardAt;
    const responsive = silentMs < unresponsiveMs;
    if (responsive !== w.responsive) {
      w.responsive = responsive;
      const id = record.manifest.id;
      if (responsive) host.events.emit('responsive', { id });
      else {
        host.events.emit('unresponsive', { id, silentMs });
        say(
          host,
          'warn',
          id,
          `does not answer: nothing from its worker for ${(silentMs / 1000).toFixed(1)} s`,
        );
      }
    }
  }
}
