/**
 * A small typed event emitter whose `has()` lets emitters skip building an event object
 * when nobody listens (the zero-cost rule). Listener errors never break the emitter:
 * they are handed to `onListenerError` (default: rethrown asynchronously so they are seen).
 */
import { InvalidArgumentError } from './errors.js';

/** A subscription: dispose (or `using`) it to stop listening. Disposing twice is a no-op. */
export interface Subscription extends Disposable {
  /** Stop listening. */
  dispose(): void;
}

/** Emits typed events to listeners registered per name. */
export class Emitter<E extends { [K in keyof E]: unknown }> {
  readonly #listeners: { [K in keyof E]?: Array<(event: E[K]) => void> } = {};
  readonly #onListenerError: (error: unknown) => void;
  #count = 0;

  constructor(onListenerError?: (error: unknown) => void) {
    this.#onListenerError =
      onListenerError ??
      ((error) => {
        queueMicrotask(() => {
          throw error;
        });
      });
  }

  /** Whether anybody listens to `name`. Check it before building an event object. */
  has<K extends keyof E>(name: K): boolean {
    // The counter makes the common case (nobody listens at all) one field read.
    return this.#count !== 0 && this.#listeners[name] !== undefined;
  }

  /** Subscribe to `name`. The returned subscription unsubscribes; it works with `using`. */
  on<K extends keyof E>(name: K, listener: (event: E[K]) => void): Subscription {
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError(`on("${String(name)}", listener): listener must be a function.`);
    }
    const list = this.#listeners[name];
    // Copy-on-write: emitting iterates a stable array even if listeners (un)subscribe meanwhile.
    this.#listeners[name] = list ? [...list, listener] : [listener];
    this.#count++;
    let active = true;
    const dispose = (): void => {
      if (!active) return;
      active = false;
      const current = this.#listeners[name];
      const index = current ? current.indexOf(listener) : -1;
      if (!current || index < 0) return;
      this.#count--;
      if (current.length === 1) delete this.#listeners[name];
      else this.#listeners[name] = [...current.slice(0, index), ...current.slice(index + 1)];
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Subscribe for one event only. */
  once<K extends keyof E>(name: K, listener: (event: E[K]) => void): Subscription {
    const sub = this.on(name, (event) => {
      sub.dispose();
      listener(event);
    });
    return sub;
  }

  /** Deliver `event` to every listener of `name`, in subscription order. */
  emit<K extends keyof E>(name: K, event: E[K]): void {
    const list = this.#listeners[name];
    if (list === undefined) return;
    for (const listener of list) {
      try {
        listener(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }

  /** Remove every listener. */
  clear(): void {
    this.#count = 0;
    for (const key of Object.keys(this.#listeners)) delete this.#listeners[key as keyof E];
  }
}
