/**
 * `steward`: dispatches to the command table, prints help and the version, and maps errors to
 * exit codes (0 success, 1 failure, 2 wrong usage). Writes through `io` so it can be embedded.
 */
import { readFileSync } from 'node:fs';
import { StewardError } from '../core/errors.js';
import { type Command, type CommandIO, EXIT, UsageError, wantsHelp } from './command.js';
import { COMMANDS } from './commands.js';

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
    '  --verbose      With any command: print the stack trace of an error (also: DEBUG set)',
    '',
  ].join('\n');
}

/** Run `steward` with `argv` (the arguments after the program name). Resolves with the exit code. */
export async function main(argv: readonly string[], io: CommandIO, commands = COMMANDS): Promise<number> {
  // `--verbose` belongs to every command (before a `--`): taken out here, so no parser sees it.
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length;
  const verbose = argv.slice(0, end).includes('--verbose') || Boolean(io.env.DEBUG);
  const args = [...argv.slice(0, end).filter((a) => a !== '--verbose'), ...argv.slice(end)];
  const [first, ...rest] = args;
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
    return await command.run(rest, { ...io, verbose });
  } catch (error) {
    io.stderr(describeError(command.name, error, verbose));
    return error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}

/**
 * What `steward` prints for an error that ended a command: the message (and its causes'), never
 * a stack trace unless asked (`--verbose`, or `DEBUG` set) — a user's mistake is not a crash.
 * An error that is not Steward's own says how to see its stack.
 */
export function describeError(command: string, error: unknown, verbose: boolean): string {
  const message = error instanceof Error ? error.message : String(error);
  let text = error instanceof UsageError ? `${message}\n` : `steward ${command}: ${message}\n`;
  const seen = new Set<unknown>([error]);
  for (let cause = (error as { cause?: unknown })?.cause; cause !== undefined && !seen.has(cause); ) {
    seen.add(cause);
    const causeMessage = cause instanceof Error ? cause.message : String(cause);
    if (!message.includes(causeMessage)) text += `  caused by: ${causeMessage}\n`;
    cause = (cause as { cause?: unknown })?.cause;
  }
  if (verbose) {
    if (error instanceof Error && error.stack) text += `${error.stack}\n`;
  } else if (!(error instanceof StewardError)) {
    text += '  (an unexpected error; run again with --verbose for its stack trace)\n';
  }
  return text;
}
