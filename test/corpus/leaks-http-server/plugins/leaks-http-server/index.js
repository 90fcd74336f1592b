import http from 'node:http';
export default {
  activate(ctx) {
    const server = http.createServer((req, res) => res.end('ok'));
    return new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        ctx.log.info(`corpus-port ${server.address().port}`);
        resolve();
      }),
    );
  },
};
