export default {
  activate() {
    process.kill(process.pid, 'SIGKILL');
  },
};
