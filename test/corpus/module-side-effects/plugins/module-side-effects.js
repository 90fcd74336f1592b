import { spawn } from 'node:child_process';
export const metadata = { id: 'module-side-effects', version: '1.0.0' };
// Work at import time, before the host has a component for the plugin.
const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
console.log(`corpus-pid ${child.pid}`);
setInterval(() => {}, 60_000);
export default { activate() {} };
