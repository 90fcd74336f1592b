/**
 * The legacy ForensicTab adopted with the migration helper: a child component of the forensic
 * plugin whose registered legacy cleanup runs exactly once when the plugin is unloaded (or
 * fails to activate), without the tab knowing about Steward.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CleanupReport } from '../../src/core/index.js';
import { PluginHost } from '../../src/plugins/index.js';
import { type ExamplesHost, PLUGINS_DIR, SAMPLES, startExamples } from './examples-host.js';

interface ForensicStatus {
  folder: string;
  files: number;
  verifications: number;
  findings: Array<{ file: string; change: string }>;
  running: boolean;
  cleanupCalls: number;
}

interface ForensicEvidence {
  status(): ForensicStatus;
  verify(): Promise<boolean>;
  readonly component: string;
}

let ex: ExamplesHost | undefined;

afterEach(async () => {
  delete process.env.FORENSIC_FOLDER;
  await ex?.[Symbol.asyncDispose]();
  ex = undefined;
});

describe('forensic: a legacy tab adopted with adopt()', () => {
  it('is a child component of the plugin and its cleanup runs once at unload', async () => {
    ex = await startExamples();
    const evidence = ex.service<ForensicEvidence>('forensic.evidence');
    const adopted = ex.host.manager.get(evidence.component)!;
    expect(adopted).toMatchObject({ id: 'ForensicTab', type: 'legacy' });
    expect(adopted.parent).toBe(ex.host.manager.get('forensic'));
    expect(adopted.resources().map((r) => r.type)).toEqual(['callback']);

    // The tab works as before: a baseline of the evidence (the photos and photos.json), re-verified.
    expect(evidence.status()).toMatchObject({ files: SAMPLES.length + 1, running: true, cleanupCalls: 0 });
    expect(await evidence.verify()).toBe(true);
    expect(evidence.status()).toMatchObject({ verifications: 2, findings: [] });

    await ex.host.unload('forensic');
    expect(evidence.status()).toMatchObject({ cleanupCalls: 1, running: false, files: 0 });
    expect(adopted.state).toBe('destroyed');
    expect(ex.host.manager.get('ForensicTab')).toBeUndefined();

    // Unloading again, or disposing the host, does not call the legacy cleanup a second time.
    await ex.host.unload('forensic');
    await ex[Symbol.asyncDispose]();
    ex = undefined;
    expect(evidence.status().cleanupCalls).toBe(1);
  });

  it('runs the legacy cleanup once when the tab fails to start, and the plugin ends failed', async () => {
    process.env.FORENSIC_FOLDER = '/no/such/evidence/folder';
    await using host = new PluginHost({
      storageDir: join(tmpdir(), 'steward-forensic-unused'),
      log: () => {},
    });
    const cleanups: CleanupReport[] = [];
    using _sub = host.manager.on('cleanupFinished', (e) => {
      if (e.component.id === 'ForensicTab') cleanups.push(e.report);
    });
    await host.add(join(PLUGINS_DIR, 'forensic'));
    const info = await host.activate('forensic');
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/ENOENT.*\/no\/such\/evidence\/folder/);
    // The adopted component was cleaned up with the plugin's: its one record, the legacy cleanup, ran.
    expect(cleanups).toHaveLength(1);
    expect(cleanups[0]).toMatchObject({ released: 1, failed: [], abandoned: [] });
    expect(host.manager.components()).toEqual([]);
  });
});
