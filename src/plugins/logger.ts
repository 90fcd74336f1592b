/**
 * Loggers tagged with a plugin id. The host decides where lines go (default: the console).
 * Whatever a plugin logs — a cycle, a bigint, a symbol, a Proxy whose traps throw — is
 * printed, never dropped and never fatal (`logText`).
 */
import { inspect } from 'node:util';

/** Log levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log line as handed to a sink. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly plugin: string;
  readonly message: string;
  readonly args: readonly unknown[];
  readonly time: number;
}

/** Where the host's log lines go. */
export type LogSink = (record: LogRecord) => void;

/** A logger tagged with one plugin's id. */
export interface PluginLogger {
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/**
 * `value` as log text: a string as it is, anything else through `util.inspect` (which shows
 * a Proxy's target without running its traps); a value that still throws is named instead.
 */
export function logText(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });
  } catch {
    return '[a value that throws when inspected]';
  }
}

/** The line `steward run` prints for a record: `[plugin] message args…`, the level before the message unless `info`. */
export function formatLogLine(r: LogRecord): string {
  const args = r.args.map(logText).join(' ');
  return `[${r.plugin}] ${r.level === 'info' ? '' : `${r.level}: `}${r.message}${args ? ` ${args}` : ''}`;
}

/** A sink writing `[plugin] message` lines to the console at `minLevel` and above. */
export function consoleSink(minLevel: LogLevel = 'info'): LogSink {
  const min = LEVELS.indexOf(minLevel);
  return (r) => {
    if (LEVELS.indexOf(r.level) < min) return;
    console[r.level](`[${r.plugin}] ${r.message}`, ...r.args);
  };
}

/** A logger for `plugin` writing to `sink`. A throwing sink never breaks the plugin. */
export function createLogger(plugin: string, sink: LogSink): PluginLogger {
  const at =
    (level: LogLevel) =>
    (message: string, ...args: unknown[]): void => {
      try {
        sink({ level, plugin, message: logText(message), args, time: Date.now() });
      } catch {
        // A broken sink must not take the plugin down.
      }
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
