/**
 * How each browser resource is released and sized: shared module-level functions, so tracking
 * allocates no closure. Each is safe to call on a resource already released by its owner.
 */

/** Bytes of a blob (what an object URL keeps alive). */
export function blobSize(source: Blob | MediaSource): number {
  return typeof Blob === 'function' && source instanceof Blob ? source.size : 0;
}

/** Bytes of an `ImageBitmap`'s pixels (RGBA, 4 bytes each; the browser's own estimate). */
export function bitmapSize(bitmap: ImageBitmap): number {
  return bitmap.width * bitmap.height * 4;
}

/** Bytes of a `VideoFrame` (what `copyTo` would write), or 0 once it is closed. */
export function videoFrameSize(frame: VideoFrame): number {
  try {
    return frame.allocationSize();
  } catch {
    return 0; // closed frames throw
  }
}

export const clearTimeoutId = (id: number): void => clearTimeout(id);
export const clearIntervalId = (id: number): void => clearInterval(id);
export const cancelFrame = (id: number): void => cancelAnimationFrame(id);
export const disconnect = (observer: { disconnect(): void }): void => observer.disconnect();
export const close = (resource: { close(): void }): void => resource.close();
export const terminate = (worker: Worker): void => worker.terminate();

/** A socket closes with 1000 (normal closure) unless it is already closing or closed. */
export function closeWebSocket(socket: WebSocket): void {
  if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.close(1000);
}

/** Both ends of a channel. */
export function closeChannel(channel: MessageChannel): void {
  channel.port1.close();
  channel.port2.close();
}

type IdleHandle = number;
const hasIdle = typeof requestIdleCallback === 'function';

/**
 * `requestIdleCallback`, or where the browser has none (Safari) a zero-delay timeout whose
 * deadline gives the callback the 50 ms an idle period may last at most.
 */
export function requestIdle(callback: IdleRequestCallback, options?: IdleRequestOptions): IdleHandle {
  if (hasIdle) return requestIdleCallback(callback, options);
  const start = performance.now();
  return setTimeout(() => {
    callback({ didTimeout: false, timeRemaining: () => Math.max(0, 50 - (performance.now() - start)) });
  }, 0) as unknown as IdleHandle;
}

/** Cancels what `requestIdle` scheduled. */
export function cancelIdle(id: IdleHandle): void {
  if (hasIdle) cancelIdleCallback(id);
  else clearTimeout(id);
}
