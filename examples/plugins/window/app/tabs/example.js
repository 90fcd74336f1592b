// The brief's example plugin as a tab: allocate and release a 1 MiB buffer on demand, tracked
// as `{ type: 'memory', size: 1048576 }` against the tab, so the panel (and the monitor, through
// the bridge) shows it while it exists; closing the tab releases it. A clock ticks on the tab's
// interval, stopped at close.
const BUFFER_BYTES = 1024 * 1024;

export function openExample({ tab, view }) {
  view.innerHTML = `
    <h2>Example</h2>
    <p><button type="button" class="allocate">Allocate Test Resource</button>
       <button type="button" class="release" disabled>Release Test Resource</button></p>
    <p class="memory">Memory: 0 B</p><p class="clock"></p>`;
  const allocateButton = view.querySelector('.allocate');
  const releaseButton = view.querySelector('.release');
  const memory = view.querySelector('.memory');
  const clock = view.querySelector('.clock');
  let buffer;
  const show = () => {
    memory.textContent = `Memory: ${tab.component.bytes.toLocaleString('en-US')} B`;
    releaseButton.disabled = buffer === undefined;
  };
  tab.listen(allocateButton, 'click', () => {
    buffer?.release();
    buffer = tab.track(new Uint8Array(BUFFER_BYTES).fill(0xa5), { type: 'memory', size: BUFFER_BYTES });
    show();
  });
  tab.listen(releaseButton, 'click', () => {
    buffer?.release();
    buffer = undefined;
    show();
  });
  const tick = () =>
    (clock.textContent = `Open for ${Math.round((Date.now() - tab.component.createdAt) / 1000)} s`);
  tab.setInterval(tick, 1000);
  tick();
  show();
}
