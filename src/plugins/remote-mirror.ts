/**
 * The host-side copy of a remote plugin's resources: one record per record on the plugin's side,
 * tracked in the host's component of the plugin, so statistics, snapshots, events and the monitor
 * show a worker plugin like any other. Mirrors have no disposer: the plugin's side releases the
 * real resources; ending the runtime reclaims whatever it did not.
 */
import type { Component, TrackedResource } from '../core/index.js';
import type { ResourceChange } from './remote-protocol.js';

/** Mirrors of one remote runtime's resources, by their id on the plugin's side. */
export class ResourceMirror {
  readonly #records = new Map<number, TrackedResource>();

  /** Apply one change to `component`. Throws what `track` throws (a host memory limit refusing it). */
  apply(component: Component, change: ResourceChange): void {
    if (change[0] === '+') {
      const [, id, type, size, metadata] = change;
      const mirror = component.track(
        { remote: id },
        { type, size, dispose: null, metadata: { ...metadata, workerResource: id } },
      );
      this.#records.set(id, mirror);
    } else if (change[0] === '-') {
      this.#records.get(change[1])?.release();
      this.#records.delete(change[1]);
    } else {
      this.#records.get(change[1])?.resize(change[2]);
    }
  }

  /** Forget every mirror without disposing anything: the plugin's side is gone. Returns their values. */
  drop(): object[] {
    const values: object[] = [];
    for (const mirror of this.#records.values()) {
      values.push(mirror.value as object);
      mirror.untrackAndLeak();
    }
    this.#records.clear();
    return values;
  }
}
