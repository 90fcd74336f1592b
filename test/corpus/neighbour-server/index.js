// A well-behaved neighbour: a loopback HTTP server and a child process, both through ctx.
import { createServer } from 'node:http';

export default {
  async activate(ctx) {
    const server = ctx.server(createServer((_req, res) => res.end('neighbour ok')));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const child = ctx.spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    ctx.log.info(`listening ${server.address().port} child ${child.pid}`);
  },
};
