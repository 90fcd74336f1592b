import dc from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../../src/core/index.js';
import { type DiagnosticsPublisher, publishDiagnostics } from '../../src/node/index.js';

let publisher: DiagnosticsPublisher | undefined;
const unsubscribes: Array<() => void> = [];
afterEach(() => {
  publisher?.dispose();
  for (const u of unsubscribes.splice(0)) u();
});

function subscribe(name: string): unknown[] {
  const messages: unknown[] = [];
  const listener = (message: unknown): void => {
    messages.push(message);
  };
  dc.subscribe(name, listener);
  unsubscribes.push(() => dc.unsubscribe(name, listener));
  return messages;
}

describe('publishDiagnostics', () => {
  it('publishes manager events on steward:<event> channels, with the manager', async () => {
    const manager = new ResourceManager();
    publisher = publishDiagnostics(manager);
    const registered = subscribe('steward:registered');
    const finished = subscribe('steward:cleanupFinished');
    const component = manager.register('plugin', { type: 'plugin' });
    await component.cleanup();
    expect(registered).toEqual([{ manager, component }]);
    expect(finished).toEqual([
      { manager, component, report: expect.objectContaining({ componentId: 'plugin' }) },
    ]);
  });

  it('subscribes to hot events (tracked, released) on the manager only while their channel has subscribers', () => {
    const manager = new ResourceManager();
    publisher = publishDiagnostics(manager);
    expect(manager.events.has('tracked')).toBe(false); // zero cost: no event objects built per track
    const tracked = subscribe('steward:tracked');
    publisher.refresh();
    expect(manager.events.has('tracked')).toBe(true);
    const resource = manager.register('plugin').track(Buffer.alloc(1), { type: 'memory', size: 1 });
    expect(tracked).toEqual([{ manager, component: resource.component, resource }]);
    for (const u of unsubscribes.splice(0)) u();
    publisher.refresh();
    expect(manager.events.has('tracked')).toBe(false);
    publisher.dispose();
    expect(manager.events.has('registered')).toBe(false);
  });

  it('rejects a bad poll interval', () => {
    expect(() => publishDiagnostics(new ResourceManager(), { pollMs: 0 })).toThrow(/pollMs/);
  });
});
