// The media analyser behind the `media.analysis` service: one run at a time (a new analysis
// cancels the previous one and frees its thumbnails, as the brief's MediaAnalysisTab did by
// hand), with its options checked up front so a bad call fails with a clear message.
import { readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AnalysisRun, publicResult } from './run.js';

const IMAGE = /\.jpe?g$/i;
const MAX_DELAY_MS = 60_000;

function describe(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** The JPEG files of `folder`, sorted by name. Throws an Error saying what to pass instead. */
async function listImages(folder) {
  let info;
  try {
    info = await stat(folder);
  } catch (error) {
    throw new Error(
      `media.analysis.analyse(): cannot read folder ${folder} (${error.code ?? error.message}); ` +
        'pass a folder of JPEG images, such as examples/assets/photos.',
    );
  }
  if (!info.isDirectory()) {
    throw new Error(`media.analysis.analyse(): ${folder} is not a folder; pass a folder of JPEG images.`);
  }
  const entries = await readdir(folder, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** The `media.analysis` service's implementation: one run at a time, options checked first. */
export class MediaAnalyser {
  #ctx;
  #workerUrl;
  #runs = 0;
  #run = undefined;
  #maxLimit;

  /**
   * `defaultFolder`: analysed when no folder is given. `thumbnailLimitBytes`: the default
   * memory limit of a run's thumbnails. `maxLimitBytes`: the largest limit a caller may ask for
   * (the plugin's own limit, so eviction happens before the host's `reject` limit is reached).
   */
  constructor(ctx, { defaultFolder, thumbnailLimitBytes, maxLimitBytes, workerUrl }) {
    this.#ctx = ctx;
    this.defaultFolder = defaultFolder;
    this.defaultLimitBytes = thumbnailLimitBytes;
    this.#maxLimit = maxLimitBytes;
    this.#workerUrl = workerUrl;
  }

  /**
   * Analyse the JPEG files of `folder` in a worker thread. Cancels and frees the previous run.
   * Resolves with the run's summary when the worker is done, or with `cancelled: true` when the
   * run is stopped first (cancel, a newer run, the plugin's unload); rejects if the worker fails.
   * Options: `thumbnailLimitBytes` (memory limit of the run's thumbnails, LRU eviction),
   * `delayMs` (pause before each file, to watch a run progress), `onFile(result)` (called as
   * each file's result arrives).
   */
  async analyse(folder = this.defaultFolder, options = {}) {
    const { finished } = await this.start(folder, options);
    return finished;
  }

  /**
   * Start an analysis like `analyse()`, resolving as soon as the worker is started (or
   * rejecting on bad input) with `{ run, threadId, finished }`; `finished` settles like
   * `analyse()`'s promise. The caller must handle `finished`'s rejection.
   */
  async start(folder = this.defaultFolder, options = {}) {
    if (typeof folder !== 'string' || folder === '') {
      throw new TypeError(
        `media.analysis.analyse(folder): folder must be a non-empty path string (got ${describe(folder)}).`,
      );
    }
    const { thumbnailLimitBytes, delayMs, onFile } = this.#checkOptions(options);
    const dir = resolve(folder);
    const files = await listImages(dir);
    // Another call may have started a run while we listed: stop whatever runs, then start ours
    // synchronously so no run is ever left unreachable.
    while (this.#run) {
      const previous = this.#run;
      this.#run = undefined;
      await previous.stop('replaced by a new analysis');
    }
    const run = new AnalysisRun({
      ctx: this.#ctx,
      number: ++this.#runs,
      folder: dir,
      files,
      limitBytes: thumbnailLimitBytes,
      delayMs,
      onFile,
      workerUrl: this.#workerUrl,
    });
    this.#run = run;
    this.#ctx.log.info(
      `${run.id}: analysing ${files.length} file(s) of ${dir} (thumbnail limit ${thumbnailLimitBytes} B, thread ${run.threadId})`,
    );
    const finished = run.finished.then((summary) => {
      this.#ctx.log.info(
        `${run.id}: ${summary.state} — ${summary.analysed}/${summary.total} file(s), ${summary.thumbnails} thumbnail(s) held ` +
          `(${summary.thumbnailBytes} B), ${summary.evicted} evicted, ${summary.gpsPoints} GPS point(s)`,
      );
      return summary;
    });
    return { run: run.id, threadId: run.threadId, finished };
  }

  /** Stop the running analysis mid-run and free its thumbnails. Resolves true if one was running. */
  async cancel() {
    const run = this.#run;
    if (!run?.running) return false;
    await run.stop('cancelled');
    return true;
  }

  /** Stop the current run if any and drop its results. Resolves true if there was one. */
  async clear() {
    const run = this.#run;
    if (!run) return false;
    this.#run = undefined;
    await run.stop('cleared');
    return true;
  }

  /** The current (or last) run's summary, or null. */
  status() {
    return this.#run ? this.#run.summary() : null;
  }

  /** Per-file results of the current (or last) run. */
  results() {
    return this.#run ? this.#run.results.map(publicResult) : [];
  }

  /** Thumbnails held in memory now: `{ file, bytes, resource }`. */
  thumbnails() {
    return this.#run ? this.#run.thumbnails() : [];
  }

  /** The thumbnail of `file` (a Buffer), marked as recently used; undefined if evicted or unknown. */
  thumbnail(file) {
    return this.#run?.thumbnail(file);
  }

  /** The running worker's thread id, or null. */
  get workerThreadId() {
    return this.#run?.running ? this.#run.threadId : null;
  }

  #checkOptions(options) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(
        `media.analysis.analyse(folder, options): options must be an object (got ${describe(options)}).`,
      );
    }
    const { thumbnailLimitBytes = this.defaultLimitBytes, delayMs = 0, onFile } = options;
    if (
      !Number.isInteger(thumbnailLimitBytes) ||
      thumbnailLimitBytes <= 0 ||
      thumbnailLimitBytes > this.#maxLimit
    ) {
      throw new RangeError(
        `media.analysis.analyse(): options.thumbnailLimitBytes must be an integer from 1 to ${this.#maxLimit} ` +
          `(the plugin's memory limit) (got ${describe(thumbnailLimitBytes)}).`,
      );
    }
    if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
      throw new RangeError(
        `media.analysis.analyse(): options.delayMs must be a number of ms from 0 to ${MAX_DELAY_MS} (got ${describe(delayMs)}).`,
      );
    }
    if (onFile !== undefined && typeof onFile !== 'function') {
      throw new TypeError(
        `media.analysis.analyse(): options.onFile must be a function (got ${describe(onFile)}).`,
      );
    }
    return { thumbnailLimitBytes, delayMs, onFile };
  }
}
