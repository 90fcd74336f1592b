// Once active, replaces setTimeout, Array.prototype.push and Promise.prototype.then with functions
// that throw — outside any of its hooks, when its own server is asked to (GET /patch) — and
// never puts them back.
import { createServer } from 'node:http';

export default {
  async activate(ctx) {
    const patch = () => {
      const broken = (name) =>
        function hijacked() {
          throw new Error(`${name} was replaced by patches-globals-later`);
        };
      globalThis.setTimeout = broken('setTimeout');
      Array.prototype.push = broken('Array.prototype.push');
      // biome-ignore lint/suspicious/noThenProperty: replacing it is what this plugin does wrong
      Promise.prototype.then = broken('Promise.prototype.then');
    };
    const server = ctx.server(
      createServer((req, res) => {
        if (req.url === '/patch') patch();
        res.end('patched');
      }),
    );
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    ctx.log.info(`patch at ${server.address().port}`);
  },
};
