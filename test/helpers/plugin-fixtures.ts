import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const projectRoot = join(import.meta.dirname, '../..');

/** Options of a fixture plugin folder. */
export interface FixturePlugin {
  /** steward.dependencies */
  dependencies?: Record<string, string>;
  version?: string;
  provides?: string[];
  requires?: string[];
  memoryLimit?: number | string;
  activationTimeoutMs?: number;
  deactivationTimeoutMs?: number;
  isolation?: 'inline' | 'worker' | 'process';
  /** steward.permissions */
  permissions?: Record<string, unknown>;
  restart?: { maxRestarts: number; backoffMs?: number };
  /** Source of index.js (ESM). */
  code: string;
  /** Extra files, path relative to the plugin folder → content. */
  files?: Record<string, string>;
}

/**
 * A temporary folder of plugins. `node_modules/steward` links to this project, so plugins
 * `import … from 'steward/plugins'` exactly as they would from an installed package.
 */
export class PluginFixtures {
  private constructor(readonly root: string) {}

  static async create(): Promise<PluginFixtures> {
    const root = await mkdtemp(join(tmpdir(), 'steward-plugins-'));
    await mkdir(join(root, 'node_modules'), { recursive: true });
    await symlink(projectRoot, join(root, 'node_modules', 'steward'), 'dir');
    await mkdir(join(root, 'plugins'));
    return new PluginFixtures(root);
  }

  /** The folder plugins are written to. */
  get dir(): string {
    return join(this.root, 'plugins');
  }

  /** Write a package plugin folder `plugins/<id>`. Returns its path. */
  async plugin(id: string, plugin: FixturePlugin): Promise<string> {
    const dir = join(this.dir, id);
    await mkdir(dir, { recursive: true });
    const steward: Record<string, unknown> = { id, dependencies: plugin.dependencies ?? {} };
    for (const key of [
      'provides',
      'requires',
      'memoryLimit',
      'activationTimeoutMs',
      'deactivationTimeoutMs',
      'isolation',
      'restart',
      'permissions',
    ] as const) {
      if (plugin[key] !== undefined) steward[key] = plugin[key];
    }
    const pkg = {
      name: `plugin-${id}`,
      version: plugin.version ?? '1.0.0',
      type: 'module',
      main: 'index.js',
      steward,
    };
    await writeFile(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    await writeFile(join(dir, 'index.js'), plugin.code);
    for (const [rel, content] of Object.entries(plugin.files ?? {})) {
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), content);
    }
    return dir;
  }

  /** Write a file relative to the plugins folder. */
  async write(rel: string, content: string): Promise<string> {
    const file = join(this.dir, rel);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
    return file;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}
