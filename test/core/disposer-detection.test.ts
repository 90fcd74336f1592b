import { describe, expect, it } from 'vitest';
import { detectDisposer, InvalidArgumentError, ResourceManager } from '../../src/core/index.js';
import { anOwner } from './helpers.js';

function label(name: string | symbol): string {
  if (name === Symbol.asyncDispose) return '[asyncDispose]';
  if (name === Symbol.dispose) return '[dispose]';
  return String(name);
}

/** An object whose methods log their own name when called. */
function withMethods(
  names: readonly (string | symbol)[],
  log: string[],
): Record<string | symbol, () => void> {
  const value: Record<string | symbol, () => void> = {};
  for (const name of names) value[name] = () => void log.push(label(name));
  return value;
}

const GENERIC = ['close', 'destroy', 'terminate', 'kill', 'abort', 'cancel', 'unsubscribe', 'dispose'];

function trackAndRelease(value: unknown, type?: string): void {
  const manager = new ResourceManager();
  const component = manager.register(anOwner(), 'c');
  component.track(value, type === undefined ? {} : { type }).release();
}

describe('disposer detection', () => {
  it.each(GENERIC)('finds a lone %s() method', (name) => {
    const log: string[] = [];
    trackAndRelease(withMethods([name], log));
    expect(log).toEqual([name]);
  });

  it('prefers Symbol.asyncDispose, then Symbol.dispose, then the generic names in order', () => {
    const log: string[] = [];
    trackAndRelease(withMethods([...GENERIC, Symbol.dispose, Symbol.asyncDispose], log));
    expect(log).toEqual(['[asyncDispose]']);
    log.length = 0;
    trackAndRelease(withMethods([...GENERIC, Symbol.dispose], log));
    expect(log).toEqual(['[dispose]']);
    for (let i = 0; i < GENERIC.length; i++) {
      log.length = 0;
      trackAndRelease(withMethods(GENERIC.slice(i), log));
      expect(log).toEqual([GENERIC[i]]);
    }
  });

  it.each([
    ['worker', ['close', 'terminate'], 'terminate'],
    ['thread', ['close', 'terminate'], 'terminate'],
    ['process', ['close', 'destroy', 'kill'], 'kill'],
    ['socket', ['close', 'destroy'], 'destroy'],
    ['file_handle', ['destroy', 'close'], 'close'],
    ['listener', ['close', 'abort', 'dispose', 'unsubscribe'], 'unsubscribe'],
  ] as const)('a %s prefers its own method over the generic order (%j → %s)', (type, methods, expected) => {
    const log: string[] = [];
    trackAndRelease(withMethods(methods, log), type);
    expect(log).toEqual([expected]);
  });

  it('the type preference wins even over Symbol.dispose', () => {
    const log: string[] = [];
    trackAndRelease(withMethods([Symbol.dispose, 'terminate'], log), 'worker');
    expect(log).toEqual(['terminate']);
  });

  it('finds methods on the prototype and calls them with this = value', () => {
    class Conn {
      closedBy: unknown;
      close(this: Conn) {
        this.closedBy = this;
      }
    }
    const conn = new Conn();
    trackAndRelease(conn, 'socket');
    expect(conn.closedBy).toBe(conn);
  });

  it('clears timers given as Node Timeout objects and as numeric ids', async () => {
    let fired = 0;
    const timeout = setTimeout(() => fired++, 10);
    const interval = setInterval(() => fired++, 5);
    trackAndRelease(timeout, 'timer');
    trackAndRelease(interval, 'timer');
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const numeric = Number(setTimeout(() => fired++, 10));
    component.track(numeric, { type: 'timer' }).release();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(fired).toBe(0);
  });

  it('an explicit dispose wins over detection, and dispose: null means no disposal', () => {
    const log: string[] = [];
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    component.track(withMethods(['close'], log), { dispose: () => void log.push('explicit') }).release();
    expect(log).toEqual(['explicit']);
    log.length = 0;
    component.track(withMethods(['close'], log), { type: 'socket', dispose: null }).release();
    expect(log).toEqual([]);
  });

  it('plain data of a type that needs no disposer is tracked without one', () => {
    expect(detectDisposer({ a: 1 }, 'memory')).toBeUndefined();
    expect(detectDisposer('text', 'custom')).toBeUndefined();
    expect(detectDisposer(new Uint8Array(4), 'thumbnail')).toBeUndefined();
    expect(detectDisposer(new Map(), 'map')).toBeUndefined();
  });

  it.each(['file_handle', 'thread', 'worker', 'listener', 'socket', 'process'])(
    'a %s without any disposer is refused with an InvalidArgumentError that says what to pass',
    (type) => {
      const manager = new ResourceManager();
      const component = manager.register(anOwner(), 'c');
      expect(() => component.track({ nothing: true }, { type })).toThrow(InvalidArgumentError);
      expect(() => component.track({ nothing: true }, { type })).toThrow(/dispose: \(value\) =>/);
      expect(component.resourceCount).toBe(0);
      expect(manager.stats().resourcesTracked).toBe(0);
    },
  );

  it('a timer that is neither an id nor an object is refused', () => {
    expect(() => detectDisposer('abc', 'timer')).toThrow(InvalidArgumentError);
  });

  it('a bare function is refused with advice to use onCleanup', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    expect(() => component.track(() => undefined)).toThrow(/onCleanup/);
    expect(component.resourceCount).toBe(0);
    const fn = () => undefined;
    expect(component.track(fn, { dispose: null }).value).toBe(fn);
  });

  it('a function with a dispose method is detected like an object', () => {
    const log: string[] = [];
    const fn = Object.assign(() => undefined, { dispose: () => void log.push('fn.dispose') });
    trackAndRelease(fn);
    expect(log).toEqual(['fn.dispose']);
  });

  it('a non-function property with a well-known name is ignored', () => {
    const log: string[] = [];
    trackAndRelease({ close: 'not a function', destroy: () => void log.push('destroy') });
    expect(log).toEqual(['destroy']);
  });

  it('detection reads the method at track time', () => {
    const log: string[] = [];
    const value: { close: () => void } = { close: () => void log.push('original') };
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const handle = component.track(value);
    value.close = () => void log.push('replaced');
    handle.release();
    expect(log).toEqual(['original']);
  });
});
