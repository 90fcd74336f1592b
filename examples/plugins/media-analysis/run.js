// One analysis run: a worker thread analysing a list of files, and a child component of the
// plugin holding every extracted thumbnail as an evictable resource under the run's memory
// limit (policy `evict`: least recently used thumbnails go first; serving one touches it).
//
// Stopping a run (cancel, a new run, or the plugin's unload) terminates the worker mid-run and
// releases every thumbnail; the `finished` promise then resolves with `cancelled: true`.

/** What a caller sees of one file (no buffers, no handles). */
export function publicResult(entry) {
  return {
    index: entry.index,
    file: entry.file,
    bytes: entry.bytes,
    make: entry.make,
    model: entry.model,
    taken: entry.taken,
    description: entry.description,
    width: entry.width,
    height: entry.height,
    latitude: entry.latitude,
    longitude: entry.longitude,
    thumbnailBytes: entry.thumbnailBytes,
    thumbnailHeld: entry.thumbnail !== undefined,
    evicted: entry.evicted,
    error: entry.error,
  };
}

/** One run: its worker, its component (thumbnails under an `evict` limit), its results. */
export class AnalysisRun {
  /** Results in the order the worker posted them (file order). */
  results = [];
  /** 'running' | 'done' | 'cancelled' | 'failed' */
  state = 'running';
  evicted = 0;
  evictedBytes = 0;
  error = undefined;
  #ctx;
  #onFile;
  #closing = false;
  #startedAt = performance.now();
  #durationMs = undefined;
  #resolve;

  /**
   * Start a run: register its component under the plugin's, start the worker through
   * `ctx.worker` (terminated at the plugin's unload whatever happens), and wire its messages.
   */
  constructor({ ctx, number, folder, files, limitBytes, delayMs, onFile, workerUrl }) {
    this.#ctx = ctx;
    this.#onFile = onFile;
    this.id = `${ctx.id}/run-${number}`;
    this.folder = folder;
    this.files = files;
    this.limitBytes = limitBytes;
    this.component = ctx.component.manager.register(this, this.id, {
      type: 'analysis',
      parent: ctx.component,
      state: 'active',
      memoryLimit: { bytes: limitBytes, policy: 'evict' },
      metadata: { folder, files: files.length },
    });
    // Runs first at cleanup: from then on, late worker messages are ignored and released
    // thumbnails are not counted as evictions.
    this.component.onCleanup(
      () => {
        this.#closing = true;
      },
      { priority: Number.MAX_SAFE_INTEGER, name: 'stop accepting results' },
    );
    let reject;
    this.finished = new Promise((resolve, fail) => {
      this.#resolve = resolve;
      reject = fail;
    });
    try {
      this.worker = ctx.worker(workerUrl, { workerData: { folder, files, delayMs }, name: this.id });
    } catch (error) {
      void this.component.cleanup({ force: true, reason: 'worker did not start' });
      throw error;
    }
    this.threadId = this.worker.threadId;
    this.worker.on('message', (message) => this.#onMessage(message));
    this.worker.once('error', (error) => {
      this.state = 'failed';
      this.error = error;
      this.#durationMs = performance.now() - this.#startedAt;
      reject(new Error(`${this.id}: the analysis worker failed: ${error.message}`, { cause: error }));
    });
    this.worker.once('exit', () => {
      if (this.state !== 'running') return;
      this.state = 'cancelled';
      this.#durationMs = performance.now() - this.#startedAt;
      this.#resolve(this.summary());
    });
  }

  /** True while the worker is analysing. */
  get running() {
    return this.state === 'running';
  }

  /** The thumbnail of `file`, marked as used (so it is evicted last), or undefined. */
  thumbnail(file) {
    const entry = this.results.find((e) => e.file === file);
    if (!entry?.handle) return undefined;
    entry.handle.touch();
    return entry.thumbnail;
  }

  /** Thumbnails held now: file, bytes and the id of their tracked resource. */
  thumbnails() {
    return this.results
      .filter((e) => e.handle !== undefined)
      .map((e) => ({ file: e.file, bytes: e.thumbnailBytes, resource: e.handle.id }));
  }

  /** Counts and sizes of the run (JSON). */
  summary() {
    const held = this.results.filter((e) => e.thumbnail !== undefined);
    return {
      run: this.id,
      folder: this.folder,
      state: this.state,
      cancelled: this.state === 'cancelled',
      total: this.files.length,
      analysed: this.results.length,
      thumbnails: held.length,
      thumbnailBytes: held.reduce((sum, e) => sum + e.thumbnailBytes, 0),
      limitBytes: this.limitBytes,
      evicted: this.evicted,
      evictedBytes: this.evictedBytes,
      gpsPoints: this.results.filter((e) => e.latitude !== null && e.longitude !== null).length,
      durationMs: this.#durationMs ?? performance.now() - this.#startedAt,
      error: this.error === undefined ? null : String(this.error.message ?? this.error),
    };
  }

  /**
   * Release everything the run holds, then stop the worker if it is still running (mid-run).
   * Resolves when the run's component is cleaned up and the thread is gone; by then `finished`
   * has resolved with `cancelled: true` and no thumbnail held.
   */
  async stop(reason) {
    await this.component.cleanup({ force: true, reason });
    if (this.state === 'running') await this.worker.terminate();
  }

  #onMessage(message) {
    if (this.#closing || this.state !== 'running') return;
    if (message.type === 'done') {
      this.state = 'done';
      this.#durationMs = performance.now() - this.#startedAt;
      this.#resolve(this.summary());
      return;
    }
    const entry = {
      ...message.result,
      thumbnailBytes: 0,
      thumbnail: undefined,
      handle: undefined,
      evicted: false,
    };
    this.results.push(entry);
    if (message.thumbnail) this.#keepThumbnail(entry, Buffer.from(message.thumbnail));
    if (this.#onFile) {
      try {
        this.#onFile(publicResult(entry));
      } catch (error) {
        this.#ctx.log.warn(`onFile callback failed for ${entry.file}: ${error?.message ?? error}`);
      }
    }
  }

  #keepThumbnail(entry, bytes) {
    entry.thumbnailBytes = bytes.byteLength;
    try {
      entry.handle = this.component.track(bytes, {
        type: 'thumbnail',
        size: bytes.byteLength,
        evictable: true,
        metadata: { file: entry.file },
        dispose: () => this.#dropThumbnail(entry),
      });
      entry.thumbnail = bytes;
    } catch (error) {
      // The plugin's own limit (policy reject) refused it: the file is listed without thumbnail.
      entry.error = `thumbnail not kept: ${error?.message ?? error}`;
      this.#ctx.log.warn(`${entry.file}: ${entry.error}`);
    }
  }

  /** The thumbnail's record was released: drop the bytes (eviction, or the run's cleanup). */
  #dropThumbnail(entry) {
    entry.thumbnail = undefined;
    entry.handle = undefined;
    if (this.#closing) return;
    entry.evicted = true;
    this.evicted++;
    this.evictedBytes += entry.thumbnailBytes;
  }
}
