// Spawns a child process and opens a TCP connection with Node's own APIs (not ctx.spawn), then
// hands both to ctx.track without a disposer, trusting Steward to find one. Steward used to call
// the found method with the value: child.kill(child) threw ERR_UNKNOWN_SIGNAL and left the child
// running after the host exited; socket.destroy(socket) made the socket its own error and the
// unhandled 'error' crashed the host.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';

export default {
  async activate(ctx) {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    ctx.track(child, { type: 'process' });
    const socket = connect(Number(process.env.CORPUS_PEER_PORT), '127.0.0.1');
    await once(socket, 'connect');
    ctx.track(socket, { type: 'socket' });
    ctx.log.info(`child ${child.pid} connected ${socket.localPort}`);
  },
};
