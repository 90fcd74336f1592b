/**
 * Request/response over any message channel (a worker's port, a process's IPC), used between the host and remote plugins
 * (both directions). Every pending request settles: with the answer, the remote error, or a
 * `ChannelClosedError` when the other side goes away — never hangs.
 */

import { StewardTypeError } from '../core/errors.js';
import { type ServiceRegistry, StewardError, tokenFor } from '../core/index.js';

/** What travels on the channel. */
export type RpcMessage =
  | {
      readonly t: 'req';
      readonly seq: number;
      readonly name: string;
      readonly member: string | null;
      readonly args: unknown[];
    }
  | { readonly t: 'res'; readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'res'; readonly seq: number; readonly ok: false; readonly error: SerializedError };

/** An error flattened for structured clone. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly code?: string | undefined;
  /** Of an `ERR_ACCESS_DENIED`: the permission and resource Node names. */
  readonly permission?: string | undefined;
  readonly resource?: string | undefined;
}

/** The other side of the channel is gone (worker exited, plugin unloaded). Code `STEWARD_CHANNEL_CLOSED`. */
export class ChannelClosedError extends StewardError {
  override name = 'ChannelClosedError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_CHANNEL_CLOSED';
}

/** Flatten an error for posting. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      stack: error.stack,
      code: (error as { code?: string }).code,
      ...accessFields(error),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** Rebuild a posted error (same name, message, code; stack of the remote side). */
export function deserializeError(e: SerializedError): Error {
  // steward-allow-plain-error: rebuilds the error a worker's code threw (the plugin's, with its name and code)
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  if (e.code) (error as { code?: string }).code = e.code;
  if (e.permission !== undefined) Object.assign(error, { permission: e.permission, resource: e.resource });
  return error;
}

function accessFields(error: Error): { permission?: string; resource?: string } {
  const { permission, resource } = error as { permission?: unknown; resource?: unknown };
  return typeof permission === 'string'
    ? { permission, resource: typeof resource === 'string' ? resource : '' }
    : {};
}

/** Handles requests from the other side: `name` (a service or `@lifecycle`), `member`, `args`. */
export type RpcHandler = (name: string, member: string | null, args: unknown[]) => unknown;

/** One end of an RPC channel. */
export class RpcEndpoint {
  #seq = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #closed: Error | undefined;

  constructor(
    private readonly post: (message: RpcMessage) => void,
    private readonly handler: RpcHandler,
  ) {}

  /** Send a request; resolves with the answer or rejects with the remote (or closed) error. */
  request(name: string, member: string | null, args: unknown[]): Promise<unknown> {
    if (this.#closed) return Promise.reject(this.#closed);
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      this.#pending.set(seq, { resolve, reject });
      try {
        this.post({ t: 'req', seq, name, member, args });
      } catch (error) {
        this.#pending.delete(seq);
        reject(error);
      }
    });
  }

  /** Feed a message received from the other side. Returns false if it was not an RPC message. */
  receive(message: unknown): boolean {
    const m = message as RpcMessage;
    if (m === null || typeof m !== 'object' || (m.t !== 'req' && m.t !== 'res')) return false;
    if (m.t === 'res') {
      const pending = this.#pending.get(m.seq);
      if (!pending) return true;
      this.#pending.delete(m.seq);
      if (m.ok) pending.resolve(m.value);
      else pending.reject(deserializeError(m.error));
      return true;
    }
    const reply = (r: RpcMessage): void => {
      if (this.#closed) return;
      try {
        this.post(r);
      } catch (error) {
        // An answer that cannot be cloned becomes an error answer, so the caller never hangs.
        this.post({ t: 'res', seq: m.seq, ok: false, error: serializeError(error) });
      }
    };
    Promise.resolve()
      .then(() => this.handler(m.name, m.member, m.args))
      .then(
        (value) => reply({ t: 'res', seq: m.seq, ok: true, value }),
        (error: unknown) => reply({ t: 'res', seq: m.seq, ok: false, error: serializeError(error) }),
      );
    return true;
  }

  /** Reject every pending and future request with `error`. Idempotent. */
  close(error: Error): void {
    if (this.#closed) return;
    this.#closed = error;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}

/**
 * A local stand-in for a remote service: calling it, or any method on it, sends a request and
 * returns a promise. After `revoke(error)`, every call rejects at once with that error.
 */
export function remoteService(
  name: string,
  call: (member: string | null, args: unknown[]) => Promise<unknown>,
): { proxy: unknown; revoke: (error: Error) => void } {
  let revoked: Error | undefined;
  const invoke = (member: string | null, args: unknown[]): Promise<unknown> =>
    revoked ? Promise.reject(revoked) : call(member, args);
  const methods = new Map<string, (...args: unknown[]) => Promise<unknown>>();
  const proxy = new Proxy(function remote() {}, {
    apply: (_target, _self, args: unknown[]) => invoke(null, args),
    get: (_target, prop) => {
      // Not thenable: `await proxy` must not turn into a remote call.
      if (typeof prop !== 'string' || prop === 'then') return undefined;
      if (prop === 'toString') return () => `[remote service ${name}]`;
      let method = methods.get(prop);
      if (!method) {
        method = (...args: unknown[]) => invoke(prop, args);
        methods.set(prop, method);
      }
      return method;
    },
  });
  return { proxy, revoke: (error) => (revoked ??= error) && undefined };
}

/**
 * Serve a request for service `name`: call it (`member` null) or its method `member` with
 * `args`. Throws ServiceNotFoundError when nobody provides it, TypeError when it is not callable.
 */
export function callService(
  services: ServiceRegistry,
  name: string,
  member: string | null,
  args: unknown[],
): unknown {
  const service = services.get(tokenFor<Record<string, unknown>>(name));
  const target = member === null ? service : service[member];
  if (typeof target !== 'function') {
    throw new StewardTypeError(
      `Service "${name}" has no method ${member ?? '(call)'}; check the name with its provider.`,
    );
  }
  return (target as (...a: unknown[]) => unknown).apply(service, args);
}
