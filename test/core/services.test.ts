import { describe, expect, it } from 'vitest';
import {
  createToken,
  InvalidArgumentError,
  ResourceManager,
  ServiceNotFoundError,
  StewardError,
  tokenFor,
  UseAfterCleanupError,
} from '../../src/core/index.js';
import { anOwner } from './helpers.js';

interface Greeter {
  greet(name: string): string;
}

describe('service registry', () => {
  it('provides and gets a typed service', () => {
    const manager = new ResourceManager();
    const token = createToken<Greeter>('greeter', 'says hello');
    expect(token.name).toBe('greeter');
    expect(token.description).toBe('says hello');
    const greeter: Greeter = { greet: (name) => `hello ${name}` };
    manager.services.provide(token, greeter);
    const got: Greeter = manager.services.get(token);
    expect(got.greet('x')).toBe('hello x');
    expect(manager.services.tryGet(token)).toBe(greeter);
    expect(manager.services.has(token)).toBe(true);
    expect(manager.services.providerOf(token)).toBeUndefined();
    expect(manager.services.list()).toEqual([{ name: 'greeter', component: undefined }]);
  });

  it('tokens are compared by identity; tokenFor shares one token per name', () => {
    const manager = new ResourceManager();
    const a = createToken<number>('same');
    const b = createToken<number>('same');
    manager.services.provide(a, 1);
    expect(manager.services.tryGet(b)).toBeUndefined();
    expect(tokenFor<number>('services.test.shared')).toBe(tokenFor<number>('services.test.shared'));
  });

  it('get() of a missing service throws ServiceNotFoundError naming the token; tryGet() returns undefined', () => {
    const manager = new ResourceManager();
    const token = createToken<number>('missing.service');
    expect(() => manager.services.get(token)).toThrow(ServiceNotFoundError);
    expect(() => manager.services.get(token)).toThrow(/"missing\.service"/);
    expect(manager.services.tryGet(token)).toBeUndefined();
  });

  it('refuses a second provider, naming the first, and keeps the first', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'first');
    const token = createToken<number>('n');
    manager.services.provide(token, 1, { component });
    const second = manager.register(anOwner(), 'second');
    expect(() => manager.services.provide(token, 2, { component: second })).toThrow(StewardError);
    expect(() => manager.services.provide(token, 2, { component: second })).toThrow(/provided by "first"/);
    expect(manager.services.get(token)).toBe(1);
    expect(second.resourceCount).toBe(0);
  });

  it('the registration withdraws the service (also with `using`); withdrawing twice returns false', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const token = createToken<number>('n');
    const registration = manager.services.provide(token, 1, { component });
    expect(component.resourceCount).toBe(1);
    expect(registration.dispose()).toBe(true);
    expect(registration.dispose()).toBe(false);
    expect(manager.services.has(token)).toBe(false);
    expect(component.resourceCount).toBe(0);
    {
      using _scoped = manager.services.provide(token, 2);
      expect(manager.services.get(token)).toBe(2);
    }
    expect(manager.services.has(token)).toBe(false);
    // The token can be provided again afterwards.
    manager.services.provide(token, 3);
    expect(manager.services.get(token)).toBe(3);
  });

  it('emits serviceProvided and serviceWithdrawn', async () => {
    const manager = new ResourceManager();
    const seen: string[] = [];
    manager.on('serviceProvided', (e) => seen.push(`+${e.token.name}@${e.component?.id}`));
    manager.on('serviceWithdrawn', (e) => seen.push(`-${e.token.name}@${e.component?.id}`));
    const component = manager.register(anOwner(), 'c');
    manager.services.provide(createToken('a'), 1, { component });
    manager.services.provide(createToken('b'), 2).dispose();
    await component.cleanup();
    expect(seen).toEqual(['+a@c', '+b@undefined', '-b@undefined', '-a@c']);
  });

  it("withdraws a component's services when it is cleaned up, before any of its resources are disposed", async () => {
    const manager = new ResourceManager();
    const token = createToken<{ db: object }>('db');
    const plugin = manager.register(anOwner(), 'plugin');
    const seenByDisposers: Record<string, boolean> = {};
    const child = manager.register(anOwner(), 'plugin/pool', { parent: plugin });
    child.track({ close: () => void (seenByDisposers.child = manager.services.has(token)) });
    plugin.track({ close: () => void (seenByDisposers.low = manager.services.has(token)) });
    manager.services.provide(token, { db: {} }, { component: plugin });
    plugin.track(
      { close: () => void (seenByDisposers.urgent = manager.services.has(token)) },
      { priority: Number.MAX_SAFE_INTEGER },
    );
    plugin.onCleanup(() => void (seenByDisposers.callback = manager.services.has(token)));
    await plugin.cleanup();
    expect(seenByDisposers).toEqual({ child: false, low: false, urgent: false, callback: false });
    expect(manager.services.has(token)).toBe(false);
  });

  it('does not withdraw services of other components', async () => {
    const manager = new ResourceManager();
    const a = manager.register(anOwner(), 'a');
    const b = manager.register(anOwner(), 'b');
    const ta = createToken<number>('a');
    const tb = createToken<number>('b');
    manager.services.provide(ta, 1, { component: a });
    manager.services.provide(tb, 2, { component: b });
    await a.cleanup();
    expect(manager.services.has(ta)).toBe(false);
    expect(manager.services.get(tb)).toBe(2);
    expect(manager.services.providerOf(tb)).toBe(b);
  });

  it('refuses to provide on behalf of a cleaned-up component, and provides nothing', async () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'gone');
    await component.cleanup();
    const token = createToken<number>('n');
    expect(() => manager.services.provide(token, 1, { component })).toThrow(UseAfterCleanupError);
    expect(manager.services.has(token)).toBe(false);
  });

  it('refuses a component of another manager, and provides nothing', () => {
    const a = new ResourceManager();
    const b = new ResourceManager();
    const foreign = b.register(anOwner(), 'foreign');
    const token = createToken<number>('n');
    expect(() => a.services.provide(token, 1, { component: foreign })).toThrow(/belongs to another manager/);
    expect(a.services.has(token)).toBe(false);
    expect(foreign.resourceCount).toBe(0);
  });

  it('bad tokens get an InvalidArgumentError that says a token was expected', () => {
    const manager = new ResourceManager();
    expect(() => createToken('')).toThrow(InvalidArgumentError);
    expect(() => manager.services.provide(undefined as never, 1)).toThrow(
      /expected a token from createToken/,
    );
    // An undefined token (e.g. from a circular import) must not surface as a property-access crash.
    expect(() => manager.services.get(undefined as never)).toThrow(InvalidArgumentError);
    expect(() => manager.services.get(undefined as never)).toThrow(/token/);
    expect(() => manager.services.get(undefined as never)).not.toThrow(/Cannot read properties/);
  });
});
