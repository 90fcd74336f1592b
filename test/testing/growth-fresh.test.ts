/**
 * `expectNoGrowth` the way a user's first leak test meets it: a fresh Node process (nothing
 * warmed up yet) importing the built `steward/testing`, with a real socket round trip — clean,
 * and keeping about 10 KB per round trip.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const testing = pathToFileURL(join(import.meta.dirname, '../../dist/testing/index.js')).href;

/** A loopback server answers `ok` and closes; the client reads it to the end; both closed. */
const script = (keepBytes: number) => `
import { expectNoGrowth } from ${JSON.stringify(testing)};
import { createServer, connect } from 'node:net';
import { once } from 'node:events';
const kept = [];
const roundTrip = async () => {
  const server = createServer((socket) => socket.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect(server.address().port, '127.0.0.1');
  client.resume();
  await once(client, 'end');
  client.destroy();
  await new Promise((resolve) => server.close(resolve));
  if (${keepBytes} > 0) kept.push(new Array(${keepBytes} / 8).fill(0).map((_, i) => i + 0.5));
};
try {
  const report = await expectNoGrowth(roundTrip, { label: 'roundTrip' });
  console.log(JSON.stringify({ passed: true, rounds: report.rounds }));
} catch (error) {
  console.log(JSON.stringify({ passed: false, code: error.code, message: error.message }));
}
`;

function runFresh(
  keepBytes: number,
): Promise<{ passed: boolean; code?: string; rounds?: number; message?: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script(keepBytes)],
      { timeout: 120_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1)!));
      },
    );
  });
}

describe('expectNoGrowth in a fresh process', () => {
  it.each([
    {
      what: 'a clean socket round trip (Node warms its net internals up over ~50 of them)',
      keepBytes: 0,
      passed: true,
    },
    { what: 'a socket round trip that keeps ~10 KB each time', keepBytes: 10_240, passed: false },
  ])('$what: passes $passed', { timeout: 240_000 }, async ({ keepBytes, passed }) => {
    const result = await runFresh(keepBytes);
    expect(result, JSON.stringify(result)).toMatchObject({ passed });
    if (!passed) {
      expect(result.code).toBe('STEWARD_HEAP_GROWTH');
      expect(result.message).toMatch(/each time roundTrip runs .*still growing after \d+ rounds of 20/);
    }
  });
});
