import net from 'node:net';
export default {
  activate(ctx) {
    const server = net.createServer((socket) => socket.end('hello'));
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        ctx.log.info(`corpus-port ${server.address().port}`);
        resolve();
      }),
    );
  },
};
