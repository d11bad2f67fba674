/**
 * The Next.js configuration of the example. An app of your own needs none of it for cq: the cq
 * packages bundle like any other code (their Lua scripts are compiled into their modules). The
 * first line keeps them out of the server bundle anyway (Node then loads them from node_modules),
 * which makes builds faster; list every `@cq/*` package the app imports.
 *
 * The rest is for this repository. Here the `@cq/*` packages are pnpm workspace packages, which Next
 * bundles whatever `serverExternalPackages` says, and they are not built: their `exports` point at
 * `dist/` except under the `@cq/source` condition, which Turbopack does not know. `resolveAlias`
 * points each at its sources (what `@cq/source` does for Node).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NextConfig } from 'next';

const config: NextConfig = {
  serverExternalPackages: ['@cq/app', '@cq/transport-redis', '@cq/backend-redis'],
  turbopack: workspaceSources(path.resolve(import.meta.dirname, '../../packages')),
  // The test gives each run a build directory of its own (under .next/, ignored by git).
  distDir: process.env.NEXT_DIST_DIR ?? '.next',
  // Keep `next dev` from writing an AGENTS.md into the example.
  agentRules: false,
  experimental: { agentUpgrade: false },
};

export default config;

/** Turbopack settings that bundle the `@cq/*` packages of the workspace at `packages` from source. */
function workspaceSources(packages: string): NextConfig['turbopack'] {
  if (!existsSync(packages)) return {};
  const resolveAlias: Record<string, string> = {};
  for (const dir of readdirSync(packages)) {
    const manifest = path.join(packages, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; exports?: { '.'?: { '@cq/source'?: string } } };
    const source = exports?.['.']?.['@cq/source'];
    // Relative to the project: Turbopack takes an absolute alias as relative to the project too.
    if (source) resolveAlias[name] = `./${path.relative(import.meta.dirname, path.join(packages, dir, source))}`;
  }
  return { resolveAlias };
}
