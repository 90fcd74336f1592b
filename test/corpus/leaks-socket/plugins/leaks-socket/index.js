import net from 'node:net';
export default {
  activate(ctx) {
    const server = ctx.server(net.createServer(() => {}));
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        const socket = net.connect(server.address().port, '127.0.0.1', resolve);
        socket.on('error', () => {});
      }),
    );
  },
};
