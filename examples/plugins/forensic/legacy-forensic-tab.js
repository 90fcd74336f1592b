// The legacy ForensicTab, as it was before the migration: written without Steward. It keeps a
// SHA-256 baseline of the evidence files of a folder and re-verifies them on its own timer,
// cancelling a verification still in flight when asked to stop. Everything it holds is released
// by its own `cleanup()` method, which the old main window used to call by hand on close.
// This file does not import Steward and must not need to: adoption happens in index.js.
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The legacy tab: hashes a folder's files and re-verifies them on its own timer; `cleanup()` stops it. */
export class ForensicTab {
  /** How many times cleanup() ran (the migration must call it exactly once). */
  cleanupCalls = 0;
  verifications = 0;
  /** Files whose hash changed, appeared or disappeared since the baseline. */
  findings = [];
  /** file name → hex SHA-256, from the first verification. */
  baseline = new Map();
  verifiedAt = null;
  lastError = null;
  #timer = null;
  #inFlight = null;

  constructor({ folder, intervalMs = 10_000 }) {
    this.folder = folder;
    this.intervalMs = intervalMs;
  }

  /** Take the baseline now and re-verify every `intervalMs` on the tab's own timer. */
  start() {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.verify().catch((error) => {
        this.lastError = error.message;
      });
    }, this.intervalMs);
    return this.verify();
  }

  /** Hash every file of the folder and compare with the baseline (the first run sets it). */
  async verify() {
    this.#inFlight?.abort();
    const controller = new AbortController();
    this.#inFlight = controller;
    const hashes = new Map();
    for (const name of (await readdir(this.folder)).sort()) {
      if (controller.signal.aborted) return false;
      const data = await readFile(join(this.folder, name), { signal: controller.signal }).catch((error) => {
        if (error.name === 'AbortError') return null;
        if (error.code === 'EISDIR') return undefined;
        throw error;
      });
      if (data === null) return false;
      if (data !== undefined) hashes.set(name, createHash('sha256').update(data).digest('hex'));
    }
    if (controller.signal.aborted) return false;
    if (this.baseline.size === 0) this.baseline = hashes;
    else this.findings = compare(this.baseline, hashes);
    this.verifications++;
    this.verifiedAt = new Date().toISOString();
    if (this.#inFlight === controller) this.#inFlight = null;
    return true;
  }

  /** What the tab shows. */
  status() {
    return {
      folder: this.folder,
      files: this.baseline.size,
      verifications: this.verifications,
      verifiedAt: this.verifiedAt,
      findings: [...this.findings],
      running: this.#timer !== null,
      cleanupCalls: this.cleanupCalls,
      lastError: this.lastError,
    };
  }

  /** The legacy cleanup: stop the timer, cancel a verification in flight, drop the hashes. */
  cleanup() {
    this.cleanupCalls++;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#inFlight?.abort();
    this.#inFlight = null;
    this.baseline = new Map();
  }
}

function compare(baseline, now) {
  const findings = [];
  for (const [name, hash] of now) {
    const before = baseline.get(name);
    if (before === undefined) findings.push({ file: name, change: 'added' });
    else if (before !== hash) findings.push({ file: name, change: 'modified' });
  }
  for (const name of baseline.keys()) if (!now.has(name)) findings.push({ file: name, change: 'removed' });
  return findings;
}
