import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Build dist/ once, as `npm run build` does (tsc, then the plugin process entry bundled): test
 * plugins import `steward/plugins` natively, as an installed package would.
 */
export default function setup(): void {
  // For iterating on one area while another is mid-edit: reuse the dist/ already built.
  if (process.env.STEWARD_TEST_SKIP_BUILD === '1') return;
  const root = join(import.meta.dirname, '..');
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    {
      stdio: 'inherit',
    },
  );
  execFileSync(process.execPath, [join(root, 'scripts/bundle-entries.mjs')], { stdio: 'inherit' });
}
