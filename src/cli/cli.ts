/**
 * `steward`: dispatches to the command table, prints help and the version, and maps errors to
 * exit codes (0 success, 1 failure, 2 wrong usage). Writes through `io` so it can be embedded.
 */
import { readFileSync } from 'node:fs';
import { type Command, type CommandIO, EXIT, UsageError, wantsHelp } from './command.js';
import { COMMANDS } from './commands.js';
import { MonitorRequestError } from './monitor-client.js';

function version(): string {
  // Two levels up from both src/cli/ and dist/cli/.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The text of `steward --help` for `commands`. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: steward <command> [options]',
    '',
    'Resource management for plugin-based applications: ownership, ordered cleanup, leak detection.',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     Show help (also: steward <command> --help, steward help <command>)',
    '  -v, --version  Print the version',
    '',
  ].join('\n');
}

/** Run `steward` with `argv` (the arguments after the program name). Resolves with the exit code. */
export async function main(argv: readonly string[], io: CommandIO, commands = COMMANDS): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') {
    io.stdout(mainHelp(commands));
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '--version' || first === '-v') {
    io.stdout(`${version()}\n`);
    return EXIT.ok;
  }
  const wanted = first === 'help' ? rest[0] : first;
  const command = commands.find((c) => c.name === wanted);
  if (first === 'help' && wanted === undefined) {
    io.stdout(mainHelp(commands));
    return EXIT.ok;
  }
  if (command === undefined) {
    io.stderr(
      `steward: unknown command "${wanted}". Commands: ${commands.map((c) => c.name).join(', ')}. See steward --help.\n`,
    );
    return EXIT.usage;
  }
  if (first === 'help' || wantsHelp(rest)) {
    io.stdout(`${command.help}\n`);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof MonitorRequestError) {
      io.stderr(`steward ${command.name}: ${error.message}\n`);
      return EXIT.failure;
    }
    io.stderr(
      `steward ${command.name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failure;
  }
}
