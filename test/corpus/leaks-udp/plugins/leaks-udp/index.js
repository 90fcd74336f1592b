import dgram from 'node:dgram';
export default {
  activate() {
    const socket = dgram.createSocket('udp4');
    return new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  },
};
