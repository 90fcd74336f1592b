/**
 * Typed service registry (like JupyterLab tokens and Backstage service refs): a token names a
 * service and carries its type; one provider per token; a service provided by a component is
 * withdrawn when that component is cleaned up — before its resources are disposed.
 */
import type { Component } from './component.js';
import { describe, InvalidArgumentError, StewardError } from './errors.js';
import type { ResourceManager } from './manager.js';
import { checkOptions } from './options.js';

/** A typed key for a service. Create with `createToken<T>(name)`; compare by identity. */
export interface ServiceToken<T> {
  /** Name shown in errors and monitors, e.g. `"media.thumbnails"`. */
  readonly name: string;
  /** What the service does. */
  readonly description: string | undefined;
  /** Phantom field carrying the service type; always undefined at run time. */
  readonly __type?: T;
}

/** Create a typed service token. Two tokens with the same name are still different tokens. */
export function createToken<T>(name: string, description?: string): ServiceToken<T> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidArgumentError(`createToken(): name must be a non-empty string (got ${describe(name)}).`);
  }
  return Object.freeze({ name, description });
}

/** Shared by every copy of Steward loaded in this realm (a plugin may import its own copy). */
const named: Map<string, ServiceToken<unknown>> = ((globalThis as Record<symbol, unknown>)[
  Symbol.for('steward.tokens')
] ??= new Map()) as Map<string, ServiceToken<unknown>>;

/**
 * The shared token for `name`: every call with the same name returns the same token (like
 * `Symbol.for`, and across copies of Steward loaded in the same realm). Use it when provider and consumer cannot import one module that exports
 * the token — separately loaded plugins, for instance. The type parameter is trusted.
 */
export function tokenFor<T>(name: string, description?: string): ServiceToken<T> {
  let token = named.get(name);
  if (token === undefined) {
    token = createToken<T>(name, description);
    named.set(name, token);
  }
  return token as ServiceToken<T>;
}

/** Thrown by `services.get` when nobody provides the token. Code `STEWARD_SERVICE_NOT_FOUND`. */
export class ServiceNotFoundError extends StewardError {
  override name = 'ServiceNotFoundError';
  static override readonly code = 'STEWARD_SERVICE_NOT_FOUND';
  constructor(readonly token: ServiceToken<unknown>) {
    super(
      `No provider for service "${token.name}". Provide it first (services.provide), ` +
        'declare it as a dependency so its provider activates first, or use services.tryGet() if it is optional.',
    );
  }
}

/** A provided service; dispose the registration to withdraw it. */
export interface ServiceRegistration extends Disposable {
  /** Withdraw the service. Returns false if already withdrawn. */
  dispose(): boolean;
}

const PROVIDE_KEYS = { component: true } as const;

/** The registry of a manager: `manager.services`. */
export class ServiceRegistry {
  readonly #providers = new Map<
    ServiceToken<unknown>,
    { value: unknown; component: Component | undefined }
  >();

  /** @internal */
  constructor(private readonly manager: ResourceManager) {}

  /**
   * Provide `value` for `token`, optionally on behalf of `component` (withdrawn at its cleanup).
   * Throws if the token already has a provider (naming it) or the component is cleaned up.
   */
  provide<T>(token: ServiceToken<T>, value: T, options?: { component?: Component }): ServiceRegistration {
    if (token === null || typeof token !== 'object' || typeof token.name !== 'string') {
      throw new InvalidArgumentError(
        `services.provide(): expected a token from createToken() (got ${describe(token)}).`,
      );
    }
    checkOptions(options, `services.provide("${token.name}")`, PROVIDE_KEYS, '{ component }');
    const existing = this.#providers.get(token);
    if (existing) {
      throw new StewardError(
        `Service "${token.name}" is already provided${existing.component ? ` by "${existing.component.id}"` : ''}. ` +
          'Withdraw the existing registration first, or use a different token.',
        { code: 'STEWARD_SERVICE_PROVIDED' },
      );
    }
    const component = options?.component;
    const entry = { value, component };
    let withdraw: () => boolean;
    if (component) {
      if (component.manager !== this.manager) {
        throw new InvalidArgumentError(
          `services.provide(): component "${component.id}" belongs to another manager.`,
        );
      }
      // Tracked first so a cleaned-up component throws before anything is registered.
      const record = component.track(token, {
        type: 'service',
        dispose: () => this.#withdraw(token, entry),
        metadata: { service: token.name },
      });
      component._disposeFirst(record); // withdrawn before the component's children and other resources
      withdraw = () => record.release();
    } else {
      withdraw = () => this.#withdraw(token, entry);
    }
    this.#providers.set(token, entry);
    const events = this.manager.events;
    if (events.has('serviceProvided')) events.emit('serviceProvided', { token, component });
    return { dispose: withdraw, [Symbol.dispose]: withdraw };
  }

  /** The service for `token`; throws `ServiceNotFoundError` if nobody provides it. */
  get<T>(token: ServiceToken<T>): T {
    const entry = this.#providers.get(token);
    if (!entry) {
      if (token === null || typeof token !== 'object' || typeof token.name !== 'string') {
        throw new InvalidArgumentError(
          `services.get(): expected a token from createToken() or tokenFor() (got ${describe(token)}). ` +
            'An undefined token often comes from a circular import.',
        );
      }
      throw new ServiceNotFoundError(token);
    }
    return entry.value as T;
  }

  /** The service for `token`, or undefined. */
  tryGet<T>(token: ServiceToken<T>): T | undefined {
    return this.#providers.get(token)?.value as T | undefined;
  }

  /** Whether `token` has a provider. */
  has(token: ServiceToken<unknown>): boolean {
    return this.#providers.has(token);
  }

  /** The component providing `token`, if it was provided on behalf of one. */
  providerOf(token: ServiceToken<unknown>): Component | undefined {
    return this.#providers.get(token)?.component;
  }

  /** Names of provided services with their providers (for monitors). */
  list(): Array<{ name: string; component: string | undefined }> {
    return [...this.#providers].map(([token, entry]) => ({
      name: token.name,
      component: entry.component?.id,
    }));
  }

  #withdraw(token: ServiceToken<unknown>, entry: { component: Component | undefined }): boolean {
    if (this.#providers.get(token) !== entry) return false;
    this.#providers.delete(token);
    const events = this.manager.events;
    if (events.has('serviceWithdrawn'))
      events.emit('serviceWithdrawn', { token, component: entry.component });
    return true;
  }
}
