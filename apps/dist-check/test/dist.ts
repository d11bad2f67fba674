/**
 * The published packages as a user gets them: built (`turbo run build`, cached when nothing changed),
 * packed with `pnpm pack` (which rewrites `workspace:*` to versions and keeps only each package's
 * `files`), and installed with `npm install <tarballs>` into a new project outside the repository.
 *
 * Processes of those projects run with {@link userEnv}: no `@cq/source` condition (that one points
 * tests inside the repository at `src/`) and no npm/pnpm script variables, as in a user's shell.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { COREPACK_ENV, corepack, execFileTracked, findExecutable, repoRoot, userEnv } from '@cq/tooling/testing';

const exec = promisify(execFileTracked);
const MINUTE = 60_000;

/** A packed package: its name, version, tarball and the workspace packages it depends on. */
export interface Packed {
  name: string;
  version: string;
  tarball: string;
  workspaceDependencies: string[];
}

/** name → package.json of every workspace package under packages/ and apps/. */
function workspaceManifests(): Map<string, { dependencies?: Record<string, string> }> {
  const manifests = new Map<string, { name: string; dependencies?: Record<string, string> }>();
  for (const group of ['packages', 'apps']) {
    for (const dir of readdirSync(path.join(repoRoot, group))) {
      try {
        const manifest = JSON.parse(readFileSync(path.join(repoRoot, group, dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
        manifests.set(manifest.name, manifest);
      } catch {
        // not a package
      }
    }
  }
  return manifests;
}

/** Packs `@cq/cli` and every workspace package it depends on into `dest`; by package name. */
export async function packPackages(dest: string): Promise<Map<string, Packed>> {
  const { stdout } = await exec(corepack(), ['pnpm', '-r', '--filter-prod', '@cq/cli...', 'pack', '--pack-destination', dest, '--json'], {
    cwd: repoRoot, env: userEnv(COREPACK_ENV), timeout: 5 * MINUTE,
  });
  const manifests = workspaceManifests();
  const packed = new Map<string, Packed>();
  for (const { name, version, filename } of JSON.parse(stdout) as Array<{ name: string; version: string; filename: string }>) {
    const dependencies = Object.entries(manifests.get(name)?.dependencies ?? {});
    packed.set(name, { name, version, tarball: filename, workspaceDependencies: dependencies.filter(([, range]) => range.startsWith('workspace:')).map(([dep]) => dep) });
  }
  return packed;
}

/** The tarballs of `roots` and of every workspace package they depend on, directly or not. */
export function closure(packed: Map<string, Packed>, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const pkg = packed.get(name);
    if (!pkg) throw new Error(`${name} was not packed (packed: ${[...packed.keys()].join(', ')})`);
    seen.add(name);
    pkg.workspaceDependencies.forEach(visit);
  };
  roots.forEach(visit);
  return [...seen].map((name) => packed.get(name)!.tarball);
}

/**
 * Makes an ES module project in `dir` (`"type": "module"`, install scripts allowed for better-sqlite3
 * and esbuild as npm 11 asks) with `files` written into it, and runs `npm install` with `packages`
 * (tarball paths or registry specs).
 */
export async function installProject(dir: string, packages: readonly string[], files: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const manifest = { name: path.basename(dir), private: true, type: 'module', allowScripts: { 'better-sqlite3': true, esbuild: true, 'msgpackr-extract': false } };
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  const npm = findExecutable('npm') ?? path.join(path.dirname(process.execPath), 'npm');
  await exec(npm, ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], { cwd: dir, env: userEnv(), timeout: 20 * MINUTE });
}

/** The names of every package installed under `dir/node_modules`, nested copies included. */
export function installedPackages(dir: string): Set<string> {
  const names = new Set<string>();
  const walk = (modules: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(modules);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      const scoped = entry.startsWith('@') ? readdirSync(path.join(modules, entry)).map((name) => `${entry}/${name}`) : [entry];
      for (const name of scoped) {
        names.add(name);
        walk(path.join(modules, name, 'node_modules'));
      }
    }
  };
  walk(path.join(dir, 'node_modules'));
  return names;
}

/** A fenced ```ts block of the root README whose first line is `// <name>`. */
export function readmeBlock(name: string): string {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  for (const match of readme.matchAll(/```ts\n([\s\S]*?)```/g)) if (match[1]!.startsWith(`// ${name}\n`)) return match[1]!;
  throw new Error(`README.md has no \`\`\`ts block starting with "// ${name}"`);
}
