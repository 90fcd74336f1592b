/**
 * What a `steward` sub-command is, and the argument parsing every command shares: `--help`,
 * strict options (an unknown option is a usage error naming it), and usage errors that exit 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { StewardError } from '../core/errors.js';

/** Where a command writes and what it reads from its environment. */
export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Keyboard input: `steward run` takes shortcuts from it when it is a terminal (`isTTY`). */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  /** `--verbose` was given (or `DEBUG` set): print stack traces. */
  readonly verbose?: boolean;
}

/** A sub-command of `steward`. `run` resolves with the process exit code. */
export interface Command {
  /** The word after `steward`. */
  readonly name: string;
  /** One line for `steward --help`. */
  readonly summary: string;
  /** Full help text, printed by `steward <name> --help`. */
  readonly help: string;
  /** Run with the arguments after the command name. */
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

/** Exit codes: success, failure of the operation, wrong usage. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/**
 * Wrong usage of a command (exit code 2); the message says what is wrong and how to fix it.
 * Code `STEWARD_USAGE`.
 */
export class UsageError extends StewardError {
  override name = 'UsageError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed arguments. */
export interface Parsed<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O; allowPositionals: true }>>['values'];
  positionals: string[];
}

/** Whether `argv` asks for help (`--help` or `-h` anywhere): the dispatcher answers it. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/**
 * `--name value` → `--name=value` for a string option whose value starts with a dash (a token
 * such as `-Xa1…`, a negative number) but is not itself an option: parseArgs would otherwise
 * call it ambiguous, and a random token starts with `-` one time in 64.
 */
function joinDashValues(argv: readonly string[], options: Options): string[] {
  const flags = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    flags.add(`--${name}`);
    if (o.short) flags.add(`-${o.short}`);
  }
  flags.add('--help').add('-h');
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const option = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next?.startsWith('-') && next !== '--' && !flags.has(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * Parse `argv` strictly against `options`. Throws UsageError with the command's name.
 * (`--help` never reaches a command: `main` prints the command's help first.)
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: readonly string[],
  options: O,
): Parsed<O> {
  try {
    const { values, positionals } = parseArgs({
      args: joinDashValues(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values, positionals };
  } catch (error) {
    throw new UsageError(
      `steward ${command}: ${(error as Error).message.replace(/\. To specify a positional.*$/s, '.')}`,
    );
  }
}

/**
 * The one positional argument of `steward <command> <what>`: throws UsageError when it is
 * missing (naming `what` and the command's help) or followed by another.
 */
export function onePositional(command: string, positionals: readonly string[], what: string): string {
  const [value, ...extra] = positionals;
  if (value === undefined)
    throw new UsageError(`steward ${command}: missing ${what}. See steward ${command} --help.`);
  if (extra.length > 0) throw new UsageError(`steward ${command}: unexpected argument "${extra[0]}".`);
  return value;
}

/** The `--monitor-url` a command needs: throws UsageError, saying where the URL comes from, when missing. */
export function requiredMonitorUrl(command: string, url: string | undefined): string {
  if (url === undefined) {
    throw new UsageError(
      `steward ${command}: missing --monitor-url <url>: the URL \`steward run --monitor\` printed (monitor: http://…/?token=…).`,
    );
  }
  return url;
}
