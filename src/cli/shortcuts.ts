/**
 * Keyboard shortcuts of `steward run` in a terminal, as Vite's dev server has: a letter and
 * Enter. `r` reloads a plugin, `u` unloads one (each asks which, or takes the id: `r hello`,
 * `*` for all), `l` lists the plugins, `h` shows the help, `q` quits (the same clean shutdown as
 * Ctrl-C, exit code 0). Only the host's public API is used (`list`, `reload`, `unload`).
 * Without a terminal on stdin none of this runs.
 */
import { createInterface, type Interface } from 'node:readline';
import type { PluginHost } from '../plugins/index.js';

/** The hint printed when the host is up. */
export const SHORTCUTS_HINT = 'shortcuts: r reload · u unload · l list · h help · q quit (then Enter)';

const HELP = `shortcuts (type the letter, then Enter):
  r [id]   reload a plugin (its dependents go down first and come back); * reloads all;
           an unloaded plugin comes back. Without an id: asks which.
  u [id]   unload a plugin (its dependents are deactivated first); * unloads all.
           Without an id: asks which.
  l        list the plugins (the status table)
  h        this help
  q        quit: deactivate everything and exit (as Ctrl-C does)`;

/** What the shortcuts act on and where they write. */
export interface ShortcutOptions {
  readonly host: PluginHost;
  /** The line source: a TTY stdin. */
  readonly input: NodeJS.ReadableStream;
  /** Messages (the prompt, results, errors). */
  readonly log: (text: string) => void;
  /** Prints the status table. */
  readonly list: () => void;
  /** Starts the shutdown. */
  readonly quit: () => void;
}

type Action = 'reload' | 'unload';

/** Listens for shortcuts until `close()`. */
export function startShortcuts(options: ShortcutOptions): { close(): void } {
  const { host, log } = options;
  const rl: Interface = createInterface({ input: options.input, terminal: false });
  /** Set while a plugin id is asked for. */
  let asking: Action | undefined;
  /** Commands run one after another, in the order typed. */
  let queue: Promise<void> = Promise.resolve();

  const ids = (): string[] => host.list().map((p) => p.id);

  const act = async (action: Action, answer: string): Promise<void> => {
    const known = ids();
    const targets = answer === '*' ? known : [answer];
    const unknown = targets.find((id) => !known.includes(id));
    if (unknown !== undefined) {
      log(`no plugin "${unknown}"; plugins: ${known.join(', ') || '(none)'}\n`);
      return;
    }
    // A reload brings back the dependents it took down: with `*`, skip those already done.
    const done = new Set<string>();
    const sub = host.on('reloaded', ({ plugins }) => {
      for (const p of plugins) done.add(p);
    });
    try {
      for (const id of targets) {
        if (done.has(id)) continue;
        log(`${action === 'reload' ? 'reloading' : 'unloading'} ${id}…\n`);
        const info = await (action === 'reload' ? host.reload(id) : host.unload(id));
        done.add(id);
        if (info.state === 'failed') log(`  ✗ ${id} failed${info.error ? `: ${info.error}` : ''}\n`);
      }
    } catch (error) {
      log(`  ✗ ${action} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    } finally {
      sub.dispose();
    }
  };

  const ask = (action: Action): void => {
    const known = ids();
    if (known.length === 0) {
      log('no plugins\n');
      return;
    }
    asking = action;
    log(`${action} which plugin? ${known.join(', ')}, or * for all (Enter cancels): `);
  };

  const handle = (line: string): void => {
    const text = line.trim();
    if (asking !== undefined) {
      const action = asking;
      asking = undefined;
      if (text !== '') queue = queue.then(() => act(action, text));
      return;
    }
    if (text === '') return;
    const [key, id, ...rest] = text.split(/\s+/);
    switch (key) {
      case 'r':
      case 'u': {
        const action: Action = key === 'r' ? 'reload' : 'unload';
        if (rest.length > 0) log(`${key} takes one plugin id (or *); got "${text.slice(2)}"\n`);
        else if (id === undefined) ask(action);
        else queue = queue.then(() => act(action, id));
        return;
      }
      case 'l':
        queue = queue.then(() => options.list());
        return;
      case 'h':
        log(`${HELP}\n`);
        return;
      case 'q':
        close();
        options.quit();
        return;
      default:
        log(`unknown shortcut "${text}": type h and Enter for help\n`);
    }
  };

  rl.on('line', handle);
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    rl.off('line', handle);
    rl.close();
    // Let the process end: readline leaves the stream flowing (and holding the loop).
    (options.input as NodeJS.ReadStream).pause?.();
  };
  return { close };
}
