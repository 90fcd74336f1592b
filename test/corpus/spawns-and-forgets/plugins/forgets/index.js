import { exec, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

export default {
  async activate() {
    await Promise.resolve(); // after an await: still this plugin's code
    const forgotten = spawn('sleep', ['303'], { stdio: 'ignore' });
    appendFileSync(process.env.CORPUS_PIDS, `forgotten ${forgotten.pid}\n`);
    const shell = exec('sleep 304');
    appendFileSync(process.env.CORPUS_PIDS, `forgotten-shell ${shell.pid}\n`);
    const daemon = spawn('sleep', ['305'], { stdio: 'ignore', detached: true });
    daemon.unref();
    appendFileSync(process.env.CORPUS_PIDS, `detached ${daemon.pid}\n`);
  },
};
