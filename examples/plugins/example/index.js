// The brief's example plugin, written as its PluginBase class: allocate and release a 1 MiB
// buffer on demand. The buffer is tracked as `{ type: 'memory', size: 1048576 }`, so it shows
// in the manager's statistics and the monitor while it exists, and goes when it is released or
// the plugin is unloaded. Its small page has the brief's two buttons and memory label.
//
// Service `example.buffer`: allocate(), release(), allocated, usage(), url.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { tokenFor } from 'steward';
import { PluginBase } from 'steward/plugins';
import { bufferPage } from './page.js';

/** The service token. */
export const EXAMPLE_BUFFER = tokenFor('example.buffer');

/** The buffer's size: 1 MiB. */
export const BUFFER_BYTES = 1024 * 1024;

/** The brief's ExamplePlugin: one 1 MiB buffer at most, tracked while it exists. */
export default class ExamplePlugin extends PluginBase {
  #buffer = undefined;

  initialize() {
    this.ctx.log.info('Initializing Example Plugin');
  }

  async activate() {
    const server = this.ctx.server(createServer((req, res) => bufferPage(this, req, res)));
    server.listen(Number(process.env.EXAMPLE_PLUGIN_PORT || 0), '127.0.0.1');
    await once(server, 'listening', { signal: this.ctx.signal });
    this.port = server.address().port;
    this.url = `http://127.0.0.1:${this.port}/`;
    const plugin = this;
    this.ctx.services.provide(EXAMPLE_BUFFER, {
      allocate: () => this.allocateBuffer(),
      release: () => this.releaseBuffer(),
      get allocated() {
        return plugin.allocated;
      },
      usage: () => this.memoryUsage,
      url: this.url,
    });
    this.ctx.log.info(`page: ${this.url}`);
  }

  /** True while the buffer exists. */
  get allocated() {
    return this.#buffer !== undefined;
  }

  /**
   * Allocate a fresh 1 MiB buffer (releasing the previous one first, as the brief does) and
   * track it. Returns the tracked resource's id and size.
   */
  allocateBuffer() {
    this.releaseBuffer();
    const data = new Uint8Array(BUFFER_BYTES).fill(0xa5); // filled: the pages are really committed
    const handle = this.track(data, {
      type: 'memory',
      size: BUFFER_BYTES,
      metadata: { purpose: 'test buffer' },
      // Released here, by the plugin's unload or by the memory limit: forget it either way.
      dispose: () => {
        if (this.#buffer === handle) this.#buffer = undefined;
      },
    });
    this.#buffer = handle;
    this.ctx.log.info(
      `allocated ${BUFFER_BYTES} B (resource #${handle.id}); plugin memory ${this.memoryUsage} B`,
    );
    return { resource: handle.id, bytes: BUFFER_BYTES };
  }

  /** Release the buffer if there is one. Returns whether there was. */
  releaseBuffer() {
    const handle = this.#buffer;
    if (handle === undefined) return false;
    this.#buffer = undefined;
    handle.release();
    this.ctx.log.info(`released the buffer; plugin memory ${this.memoryUsage} B`);
    return true;
  }

  cleanup() {
    this.ctx.log.info('Cleaning up Example Plugin');
  }
}
