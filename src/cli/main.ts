#!/usr/bin/env node
/**
 * The `steward` executable (package.json `bin`): runs the CLI with the process's arguments and
 * sets the exit code (0 success, 1 failure, 2 wrong usage).
 */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdin: process.stdin,
});
