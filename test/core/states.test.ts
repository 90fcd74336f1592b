import { describe, expect, it } from 'vitest';
import {
  allowedTransitions,
  canTransition,
  IllegalTransitionError,
  isLifecycleState,
  LIFECYCLE_STATES,
  type LifecycleState,
  ResourceManager,
} from '../../src/core/index.js';
import { anOwner, LEGAL_BY_SETSTATE } from './helpers.js';

function componentIn(state: LifecycleState) {
  const manager = new ResourceManager();
  const component = manager.register(anOwner(), 'c');
  const path: Record<LifecycleState, LifecycleState[]> = {
    loaded: [],
    initialized: ['initialized'],
    active: ['active'],
    paused: ['active', 'paused'],
    failed: ['failed'],
    cleaning: [],
    destroyed: [],
  };
  for (const step of path[state]) component.setState(step);
  return { manager, component };
}

describe('lifecycle states', () => {
  it('walks loaded → initialized → active ⇄ paused, emitting every change', () => {
    const manager = new ResourceManager();
    const component = manager.register(anOwner(), 'c');
    const changes: string[] = [];
    manager.on('stateChanged', (e) => changes.push(`${e.component.id}:${e.from}->${e.to}`));
    for (const s of ['initialized', 'active', 'paused', 'active', 'paused'] as const) component.setState(s);
    expect(component.state).toBe('paused');
    expect(changes).toEqual([
      'c:loaded->initialized',
      'c:initialized->active',
      'c:active->paused',
      'c:paused->active',
      'c:active->paused',
    ]);
  });

  for (const from of ['loaded', 'initialized', 'active', 'paused', 'failed'] as const) {
    for (const to of LIFECYCLE_STATES) {
      if (to === from) continue;
      const legal = LEGAL_BY_SETSTATE[from].includes(to);
      it(`setState ${from} → ${to} is ${legal ? 'legal' : 'illegal'}`, () => {
        const { manager, component } = componentIn(from);
        const changes: string[] = [];
        manager.on('stateChanged', (e) => changes.push(`${e.from}->${e.to}`));
        if (legal) {
          component.setState(to);
          expect(component.state).toBe(to);
          expect(changes).toEqual([`${from}->${to}`]);
        } else {
          let error: unknown;
          try {
            component.setState(to);
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(IllegalTransitionError);
          expect((error as Error).message).toContain(`"${from}" to "${to}"`);
          expect((error as Error).message).toMatch(/"c"/);
          if (to === 'cleaning' || to === 'destroyed')
            expect((error as Error).message).toMatch(/cleanup\(\)/);
          expect(component.state).toBe(from);
          expect(changes).toEqual([]);
        }
      });
    }
  }

  it('setting the current state again is a no-op without an event', () => {
    const { manager, component } = componentIn('active');
    const changes: unknown[] = [];
    manager.on('stateChanged', (e) => changes.push(e));
    component.setState('active');
    expect(changes).toEqual([]);
  });

  it('cleanup enters cleaning then destroyed, from every live state including failed', async () => {
    for (const from of ['loaded', 'initialized', 'active', 'paused', 'failed'] as const) {
      const { manager, component } = componentIn(from);
      const changes: string[] = [];
      manager.on('stateChanged', (e) => changes.push(`${e.from}->${e.to}`));
      await component.cleanup();
      expect(changes).toEqual([`${from}->cleaning`, 'cleaning->destroyed']);
    }
  });

  it('destroyed is final', async () => {
    const { component } = componentIn('active');
    await component.cleanup();
    for (const to of ['loaded', 'initialized', 'active', 'paused', 'failed', 'cleaning'] as const) {
      expect(() => component.setState(to)).toThrow(IllegalTransitionError);
    }
    expect(() => component.fail(new Error('x'))).toThrow(IllegalTransitionError);
    expect(() => component.setState('active')).toThrow(/"destroyed" is final/);
    expect(component.state).toBe('destroyed');
  });

  it('no state change is accepted while cleaning', async () => {
    const { component } = componentIn('active');
    const seen: unknown[] = [];
    component.track({
      close: () => {
        for (const to of ['active', 'paused', 'failed'] as const) {
          try {
            component.setState(to);
            seen.push(`accepted ${to}`);
          } catch (e) {
            seen.push((e as Error).name);
          }
        }
      },
    });
    await component.cleanup();
    expect(seen).toEqual(['IllegalTransitionError', 'IllegalTransitionError', 'IllegalTransitionError']);
  });

  it('fail(error) keeps the error, emits it, keeps the resources until cleanup', async () => {
    const { manager, component } = componentIn('active');
    const events: unknown[] = [];
    manager.on('stateChanged', (e) => events.push([e.from, e.to, e.error]));
    let closed = 0;
    component.track({ close: () => closed++ });
    const boom = new Error('boom');
    component.fail(boom);
    expect(component.state).toBe('failed');
    expect(component.error).toBe(boom);
    expect(events).toEqual([['active', 'failed', boom]]);
    expect(closed).toBe(0);
    expect(component.resourceCount).toBe(1);
    component.fail(new Error('second')); // already failed: no-op, keeps the first error
    expect(component.error).toBe(boom);
    expect(events).toHaveLength(1);
    // A failed component still accepts resources (to be cleaned up with it).
    component.track({ close: () => closed++ });
    await component.cleanup();
    expect(closed).toBe(2);
  });

  it('exposes the transition table through helpers', () => {
    expect(canTransition('active', 'paused')).toBe(true);
    expect(canTransition('paused', 'initialized')).toBe(false);
    expect(allowedTransitions('destroyed')).toEqual([]);
    expect(isLifecycleState('paused')).toBe(true);
    expect(isLifecycleState('sleeping')).toBe(false);
    expect(isLifecycleState(3)).toBe(false);
  });
});
