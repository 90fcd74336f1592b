/**
 * A ledger's timers, frames and idle callbacks: each one tracked against the component (cleared
 * or cancelled at its cleanup), and a one-shot's record dropped when it fires, so a component
 * that schedules many holds only those still pending. Internal to `ledger.ts`.
 */
import type { Component, TrackedResource, TrackOptions } from '../core/index.js';
import * as d from './disposers.js';

const TIMEOUT: TrackOptions<number> = { type: 'timer', dispose: d.clearTimeoutId };
const INTERVAL: TrackOptions<number> = { type: 'timer', dispose: d.clearIntervalId };
const FRAME: TrackOptions<number> = { type: 'animation-frame', dispose: d.cancelFrame };
const IDLE: TrackOptions<number> = { type: 'idle-callback', dispose: d.cancelIdle };

/** `setTimeout(fn, ms, ...args)` tracked against `component`; its record goes when it fires. */
export function trackedTimeout<A extends unknown[]>(
  component: Component,
  fn: (...args: A) => void,
  ms: number,
  args: A,
): TrackedResource<number> {
  let handle: TrackedResource<number> | undefined;
  const id = setTimeout(() => {
    handle?.untrackAndLeak();
    fn(...args);
  }, ms) as unknown as number;
  handle = component.track(id, TIMEOUT);
  return handle;
}

/** `setInterval(fn, ms, ...args)` tracked against `component`. */
export function trackedInterval<A extends unknown[]>(
  component: Component,
  fn: (...args: A) => void,
  ms: number,
  args: A,
): TrackedResource<number> {
  return component.track(setInterval(fn, ms, ...args) as unknown as number, INTERVAL);
}

/** `requestAnimationFrame(callback)` tracked against `component`; its record goes when it runs. */
export function trackedFrame(component: Component, callback: FrameRequestCallback): TrackedResource<number> {
  let handle: TrackedResource<number> | undefined;
  const id = requestAnimationFrame((time) => {
    handle?.untrackAndLeak();
    callback(time);
  });
  handle = component.track(id, FRAME);
  return handle;
}

/** `requestIdleCallback(callback, options)` tracked against `component`; its record goes when it runs. */
export function trackedIdle(
  component: Component,
  callback: IdleRequestCallback,
  options: IdleRequestOptions | undefined,
): TrackedResource<number> {
  let handle: TrackedResource<number> | undefined;
  const id = d.requestIdle((deadline) => {
    handle?.untrackAndLeak();
    callback(deadline);
  }, options);
  handle = component.track(id, IDLE);
  return handle;
}
