// The legacy ForensicTab, as it was before the migration: written without Steward. It builds
// its own DOM, keeps a SHA-256 baseline of the evidence files and re-verifies them on its own
// timer and on its own button, cancelling a verification still in flight when asked to stop.
// Everything it holds is released by its own `cleanup()`, which the old main window called by
// hand on close. This file does not import Steward and must not need to: adoption happens in
// forensic.js.

/** The legacy tab: hashes the evidence files and re-verifies them; `cleanup()` stops it. */
export class LegacyForensicTab {
  /** How many times cleanup() ran (the migration must call it exactly once). */
  cleanupCalls = 0;
  verifications = 0;
  baseline = new Map();
  findings = [];
  #timer = null;
  #inFlight = null;
  #onVerify = () => void this.verify();

  constructor({ listUrl = '/api/photos', fileUrl = (name) => `/photos/${name}`, intervalMs = 10_000 } = {}) {
    this.listUrl = listUrl;
    this.fileUrl = fileUrl;
    this.intervalMs = intervalMs;
    this.root = document.createElement('div');
    this.root.className = 'legacy-forensic';
    this.root.innerHTML =
      '<h2>Forensic (legacy tab, adopted)</h2><p><button type="button">Verify now</button> <span class="status">Not verified yet.</span></p>' +
      '<table><thead><tr><th>File</th><th>SHA-256</th><th>Change</th></tr></thead><tbody></tbody></table>';
    this.button = this.root.querySelector('button');
  }

  /** Take the baseline now; re-verify every `intervalMs` on the tab's own timer. */
  start() {
    if (this.#timer) return Promise.resolve(false);
    this.#timer = setInterval(this.#onVerify, this.intervalMs);
    this.button.addEventListener('click', this.#onVerify);
    return this.verify();
  }

  /** Hash every file and compare with the baseline (the first run sets it). */
  async verify() {
    this.#inFlight?.abort();
    const controller = new AbortController();
    this.#inFlight = controller;
    const { signal } = controller;
    try {
      const files = await (await fetch(this.listUrl, { signal })).json();
      const hashes = new Map();
      for (const { file } of files) {
        const data = await (await fetch(this.fileUrl(file), { signal })).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
        hashes.set(file, [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''));
      }
      if (this.baseline.size === 0) this.baseline = hashes;
      else this.findings = compare(this.baseline, hashes);
      this.verifications++;
      this.#render(hashes);
      return true;
    } catch (error) {
      if (error.name === 'AbortError') return false;
      this.root.querySelector('.status').textContent = `Verification failed: ${error.message}`;
      return false;
    } finally {
      if (this.#inFlight === controller) this.#inFlight = null;
    }
  }

  #render(hashes) {
    const changes = new Map(this.findings.map((f) => [f.file, f.change]));
    this.root.querySelector('tbody').innerHTML = [...hashes]
      .map(
        ([file, hash]) =>
          `<tr><td>${file}</td><td><code>${hash.slice(0, 16)}…</code></td><td>${changes.get(file) ?? '—'}</td></tr>`,
      )
      .join('');
    this.root.querySelector('.status').textContent =
      `${hashes.size} file(s) verified ${this.verifications} time(s); ${this.findings.length} change(s).`;
    this.root.dataset.verifications = String(this.verifications);
  }

  /** The legacy cleanup: stop the timer and the button, cancel a verification, drop its DOM. */
  cleanup() {
    this.cleanupCalls++;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.button.removeEventListener('click', this.#onVerify);
    this.#inFlight?.abort();
    this.#inFlight = null;
    this.baseline = new Map();
    this.root.remove();
  }
}

function compare(baseline, now) {
  const findings = [];
  for (const [file, hash] of now) {
    const before = baseline.get(file);
    if (before === undefined) findings.push({ file, change: 'added' });
    else if (before !== hash) findings.push({ file, change: 'modified' });
  }
  for (const file of baseline.keys()) if (!now.has(file)) findings.push({ file, change: 'removed' });
  return findings;
}
