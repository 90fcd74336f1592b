/**
 * Watching this thread's event loop from another thread, and profiling it while it is stuck.
 *
 * The watched thread stamps the time into shared memory every `beatMs` (an unref'd interval: it
 * never keeps the process alive). A small watchdog thread reads the stamp; when it is older than
 * `thresholdMs` the loop is blocked, and the watchdog — which keeps running while the main thread
 * cannot — connects to the main thread's inspector (`Session.connectToMainThread()`; Node
 * dispatches inspector messages to a busy thread through a V8 interrupt) and samples the blocked
 * stack for `profileMs`: pause, read the call frames, resume, every `sampleMs`. (A V8 CPU profile
 * started at that point misses the frames of code optimized on stack before it started — a hot
 * loop is exactly that — so the samples come from the debugger, which sees every frame.) The
 * samples make a `.cpuprofile` DevTools opens; they are blamed on the registered roots by file
 * (profile-blame.ts) and, with `reportToStderr`, one line goes to fd 2 at once — while the main
 * thread is still blocked. The main thread gets the block (profile and blame) when it runs again.
 * One profile per episode; an episode ends when the stamp moves again.
 *
 * Costs when nothing blocks: one timer callback per `beatMs` on the watched thread and one
 * comparison per poll on the watchdog thread (bench/plugins: "loop watchdog"). A debugger attached
 * to the process would see the sampling pauses: don't watch a process you are debugging.
 */
import { Worker } from 'node:worker_threads';
import { StewardRangeError } from '../core/index.js';
import { type BlameRoot, blameProfile, type CpuProfile, type ProfileBlame } from './profile-blame.js';

/** Options of {@link watchEventLoop}. */
export interface LoopWatchdogOptions {
  /** How long the loop must be stuck to count as blocked, ms. Default 3000. */
  readonly thresholdMs?: number;
  /** How long to profile a blocked loop (less if it resumes earlier), ms. Default 1000. */
  readonly profileMs?: number;
  /** Time between two stack samples of the blocked thread, ms. Default 10. */
  readonly sampleMs?: number;
  /** How often the watched thread stamps the time, ms. Default 100. */
  readonly beatMs?: number;
  /** Write one line to stderr (fd 2) from the watchdog thread as soon as a block is profiled. */
  readonly reportToStderr?: boolean;
  /** Called on the watched thread when it runs again after a profiled block. */
  readonly onBlock?: (block: LoopBlock) => void;
  /** Called on the watched thread when a block ended, with how long it lasted. */
  readonly onBlockEnd?: (end: LoopBlockEnd) => void;
}

/** A blocked episode of the event loop, as profiled by the watchdog. */
export interface LoopBlock {
  /** When the loop last ran before the block, ms since the epoch. */
  readonly startedAt: number;
  /** How long it had been blocked when the profile ended, ms. */
  readonly blockedMs: number;
  /** The profile of the blocked code (`.cpuprofile` format), unless it could not be taken. */
  readonly profile: CpuProfile | undefined;
  /** Who the samples belong to, by the roots given with `setRoots`. */
  readonly blame: ProfileBlame | undefined;
  /** Why there is no profile (the inspector is missing or refused), when there is none. */
  readonly error: string | undefined;
}

/** The end of a blocked episode. */
export interface LoopBlockEnd {
  readonly startedAt: number;
  /** How long the loop was blocked in all, ms. */
  readonly blockedMs: number;
}

/** A running loop watchdog. */
export interface LoopWatchdog {
  /** The folders whose code samples are blamed on (replaces the previous list). */
  setRoots(roots: readonly BlameRoot[]): void;
  /** Stop watching: the interval is cleared and the thread ended. Idempotent. */
  close(): Promise<void>;
}

function positiveMs(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
    throw new StewardRangeError(
      `watchEventLoop(): ${name} must be a whole number between 1 and 2147483647 (got ${String(value)}).`,
    );
  }
  return value;
}

/** The watchdog thread's program (CommonJS, run with `eval`: no file to find at run time). */
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
// A TypeScript loader may wrap functions in its name-keeping helper: give the copy one.
const __name = (target) => target;
const blameProfile = ${blameProfile.toString()};
const { stamp, thresholdMs, profileMs, sampleMs, report, pollMs } = workerData;
const beat = new BigInt64Array(stamp);
let roots = [];
let session;
let onPaused;
const scripts = new Map();
const post = (method, params) =>
  new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
  );
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
function connect() {
  if (session) return;
  const { Session } = require('node:inspector');
  session = new Session();
  session.connectToMainThread();
  session.on('Debugger.scriptParsed', (m) => scripts.set(m.params.scriptId, m.params.url));
  session.on('Debugger.paused', (m) => onPaused && onPaused(m.params));
}
// Sample the blocked thread's stack: pause it, read its call frames, resume, again every sampleMs.
// (A V8 CPU profile started now would miss the frames of code optimized on stack before it started.)
async function sample(episode) {
  connect();
  await post('Debugger.enable');
  const root = { id: 1, callFrame: { functionName: '(root)', scriptId: '0', url: '', lineNumber: -1, columnNumber: -1 }, children: [], hitCount: 0, kids: new Map(), ticks: new Map() };
  const nodes = [root];
  const samples = [];
  const timeDeltas = [];
  const startTime = Date.now() * 1000;
  let last = startTime;
  try {
    while (!episode.resumed && Date.now() - episode.detectedAt < profileMs) {
      const paused = new Promise((resolve) => { onPaused = resolve; });
      await post('Debugger.pause');
      // The first pause can take a while (enabling the debugger walks every script); give it what
      // is left of the window. A thread that runs again resumes on its own and ends the episode.
      let params;
      while (params === undefined && !episode.resumed && Date.now() - episode.detectedAt < profileMs) {
        params = await Promise.race([paused, sleep(50).then(() => undefined)]);
      }
      onPaused = undefined;
      if (params === undefined) break;
      let node = root;
      const frames = params.callFrames;
      for (let i = frames.length - 1; i >= 0; i--) {
        const f = frames[i];
        const url = f.url || scripts.get(f.location.scriptId) || '';
        const fl = f.functionLocation || f.location;
        const key = f.functionName + ' ' + url + ':' + fl.lineNumber + ':' + fl.columnNumber;
        let child = node.kids.get(key);
        if (!child) {
          child = { id: nodes.length + 1, callFrame: { functionName: f.functionName, scriptId: f.location.scriptId, url, lineNumber: fl.lineNumber, columnNumber: fl.columnNumber }, children: [], hitCount: 0, kids: new Map(), ticks: new Map() };
          nodes.push(child);
          node.children.push(child.id);
          node.kids.set(key, child);
        }
        node = child;
      }
      node.hitCount++;
      if (frames.length > 0) {
        const line = frames[0].location.lineNumber + 1;
        node.ticks.set(line, (node.ticks.get(line) || 0) + 1);
      }
      const now = Date.now() * 1000;
      samples.push(node.id);
      timeDeltas.push(now - last);
      last = now;
      await post('Debugger.resume');
      await sleep(sampleMs);
    }
  } finally {
    onPaused = undefined;
    await post('Debugger.resume').catch(() => {});
    await post('Debugger.disable').catch(() => {});
  }
  return {
    nodes: nodes.map((n) => ({ id: n.id, callFrame: n.callFrame, hitCount: n.hitCount, children: n.children, positionTicks: [...n.ticks].map(([line, ticks]) => ({ line, ticks })) })),
    startTime,
    endTime: last,
    samples,
    timeDeltas,
  };
}
let episode;
async function profileEpisode(current) {
  let profile;
  let blame;
  let error;
  try {
    profile = await sample(current);
    blame = blameProfile(profile, roots);
  } catch (e) {
    error = 'the blocked thread could not be profiled: ' + ((e && e.message) || e);
  }
  const blockedMs = Date.now() - current.startedAt;
  if (report) {
    const top = blame && blame.owners[0];
    const who = top
      ? 'plugin "' + top.id + '" took ' + Math.round(top.share * 100) + ' % of ' + blame.total + ' samples' +
        (top.hottest ? ' (' + top.hottest.functionName + ' at ' + top.hottest.file + ':' + top.hottest.line + ')' : '')
      : blame ? 'no plugin code was running (' + blame.total + ' samples, none in a plugin)' : error;
    try {
      writeSync(2, 'steward: the event loop has been blocked for ' + (blockedMs / 1000).toFixed(1) + ' s: ' + who + '.\\n');
    } catch {}
  }
  parentPort.postMessage({ type: 'block', startedAt: current.startedAt, blockedMs, profile, blame, error });
}
async function check() {
  const last = Number(Atomics.load(beat, 0));
  const now = Date.now();
  if (episode) {
    if (last > episode.startedAt) {
      const ended = episode;
      ended.resumed = true;
      await ended.profiled;
      episode = undefined;
      parentPort.postMessage({ type: 'end', startedAt: ended.startedAt, blockedMs: last - ended.startedAt });
    }
    return;
  }
  if (now - last < thresholdMs) return;
  const current = { startedAt: last, detectedAt: now, resumed: false, profiled: undefined };
  episode = current;
  current.profiled = profileEpisode(current);
}
const poll = setInterval(() => {
  check().catch(() => {});
}, pollMs);
parentPort.on('message', (message) => {
  if (message.type === 'roots') roots = message.roots;
  else if (message.type === 'stop') {
    clearInterval(poll);
    if (session) session.disconnect();
    parentPort.close();
  }
});
`;

/**
 * Watch this thread's event loop from a watchdog thread; profile and blame it when it is
 * blocked past `thresholdMs` (see the module comment). Never keeps the process alive.
 */
export function watchEventLoop(options: LoopWatchdogOptions = {}): LoopWatchdog {
  const thresholdMs = positiveMs(options.thresholdMs, 3000, 'thresholdMs');
  const profileMs = positiveMs(options.profileMs, 1000, 'profileMs');
  const beatMs = positiveMs(options.beatMs, 100, 'beatMs');
  const sampleMs = positiveMs(options.sampleMs, 10, 'sampleMs');
  const stamp = new SharedArrayBuffer(8);
  const beat = new BigInt64Array(stamp);
  const tick = (): void => {
    Atomics.store(beat, 0, BigInt(Date.now()));
  };
  tick();
  const timer = setInterval(tick, beatMs);
  timer.unref();
  const worker = new Worker(THREAD, {
    eval: true,
    execArgv: [],
    name: 'steward:loop-watchdog',
    workerData: {
      stamp,
      thresholdMs,
      profileMs,
      sampleMs,
      report: options.reportToStderr === true,
      pollMs: Math.max(10, Math.min(100, Math.floor(thresholdMs / 4))),
    },
  });
  worker.unref();
  worker.on('message', (message: { type: string } & LoopBlock & LoopBlockEnd) => {
    if (message.type === 'block') {
      options.onBlock?.({
        startedAt: message.startedAt,
        blockedMs: message.blockedMs,
        profile: message.profile,
        blame: message.blame,
        error: message.error,
      });
    } else if (message.type === 'end') {
      options.onBlockEnd?.({ startedAt: message.startedAt, blockedMs: message.blockedMs });
    }
  });
  worker.on('error', () => {
    // The watchdog thread failed (it cannot start here): watching stops, the host goes on.
    clearInterval(timer);
  });
  let closed: Promise<void> | undefined;
  return {
    setRoots(roots) {
      worker.postMessage({ type: 'roots', roots: roots.map((r) => ({ id: r.id, dir: r.dir })) });
    },
    close() {
      closed ??= (async () => {
        clearInterval(timer);
        worker.postMessage({ type: 'stop' });
        await worker.terminate();
      })();
      return closed;
    },
  };
}
