/**
 * What a plugin throws, made safe for the host. Plugin code may throw anything — `null`, a
 * string, or a hostile value: a Proxy whose every trap throws, an object whose `message`
 * getter throws. The host inspects what it catches (`instanceof Error`, the message, the
 * stack, its string form) to report the failure; a value that throws back would turn the
 * plugin's failure into the host's. Such a value is replaced, at the boundary where plugin
 * code returns to the host, by a `StewardError` saying so.
 */
import { types } from 'node:util';
import { StewardError } from '../core/index.js';

/** A plugin threw a value the host could not inspect. Code `STEWARD_PLUGIN_BAD_THROW`. */
export class UninspectableThrowError extends StewardError {
  override name = 'UninspectableThrowError';
  /** The code of this class's errors. */
  static override readonly code = 'STEWARD_PLUGIN_BAD_THROW';
}

/** Read what the host reads of a thrown value; throws if any of it throws. */
function inspectable(value: object): void {
  if (types.isProxy(value)) throw value; // caught below: only "it throws" matters
  const e = value as { name?: unknown; message?: unknown; stack?: unknown; cause?: unknown };
  void (value instanceof Error);
  void [e.name, e.message, e.stack, e.cause];
  void String(value);
}

/** `value` itself when the host can inspect it safely, else an `UninspectableThrowError` naming `where`. */
export function safeThrown(value: unknown, where: string): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return value;
  try {
    inspectable(value);
    return value;
  } catch {
    return new UninspectableThrowError(
      `${where} threw a value the host cannot inspect (a Proxy, or an object whose properties throw when read). ` +
        'Throw an Error (or a subclass) instead.',
    );
  }
}

/** Call `fn`; a throw or a rejection carries `safeThrown` of what was thrown. */
export function callSafely<R>(fn: () => R, where: string): R {
  let result: R;
  try {
    result = fn();
  } catch (error) {
    throw safeThrown(error, where);
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      throw safeThrown(error, where);
    }) as R;
  }
  return result;
}
