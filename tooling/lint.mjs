#!/usr/bin/env node
// House rules no formatter checks, for one package directory (default: cwd):
// - src/index.ts names its exports: no `export *` barrels;
// - no import reaches into another package's internals (`@cq/x/src/...`, `../../other/src`);
// - package.json `exports` holds only `.`, `./package.json` and deliberate subpaths (`./testing`).
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';

const dir = path.resolve(process.argv[2] ?? '.');
const problems = [];

function walk(d) {
  if (!existsSync(d)) return [];
  return readdirSync(d).flatMap((name) => {
    const full = path.join(d, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(full).isDirectory() ? walk(full) : /\.(ts|mts)$/.test(name) ? [full] : [];
  });
}

for (const file of walk(path.join(dir, 'src'))) {
  const text = readFileSync(file, 'utf8');
  const rel = path.relative(dir, file);
  if (/(^|\/)index\.ts$/.test(rel) && /^\s*export\s+\*\s+from/m.test(text)) problems.push(`${rel}: \`export *\` in an index; list the exports by name`);
  for (const m of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
    const spec = m[1];
    if (/^@cq\/[^/]+\/src(\/|$)/.test(spec)) problems.push(`${rel}: imports internals of ${spec}; use the package's public exports`);
    if (spec.startsWith('.') && path.relative(dir, path.resolve(path.dirname(file), spec)).startsWith('..')) problems.push(`${rel}: relative import ${spec} leaves the package`);
  }
}

const pkgFile = path.join(dir, 'package.json');
if (existsSync(pkgFile)) {
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  for (const key of Object.keys(pkg.exports ?? {})) {
    if (!['.', './package.json', './testing'].includes(key)) problems.push(`package.json: export path ${key} is not a deliberate public subpath`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(`lint: ${p}`);
  process.exit(1);
}
console.log(`lint: ${path.basename(dir)} ok`);
