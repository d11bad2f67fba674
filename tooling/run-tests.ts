/**
 * `pnpm test`: the whole test suite on a fresh machine, from a clean checkout after `pnpm install`.
 *
 * 1. Installs the Debian Python peers when `/usr/bin/python3` lacks one (apt-get as root, or `sudo -n`;
 *    otherwise stops with the command to run). See `testing/install-peers.ts`.
 * 2. Type checks and lints every package: `turbo run typecheck lint`. turbo needs a `pnpm` binary on
 *    PATH; when there is none (pnpm only through `corepack pnpm`), a private shim directory made by
 *    `corepack enable --install-directory` goes in front of PATH for turbo alone.
 * 3. Runs `vitest run` (extra arguments are passed on) and exits with its code.
 *
 * `pnpm test:only` is step 3 alone.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTestPeers } from './testing/install-peers.js';
import { findExecutable } from './testing/peers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

/** Runs a step with inherited stdio; resolves with its exit code (1 when it could not start). */
function step(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env });
  if (result.error) console.error(`test: cannot run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

/** PATH with a `pnpm` on it: unchanged when there is one, else with corepack's shims in front. */
function pathWithPnpm(): string {
  const current = process.env['PATH'] ?? '';
  if (findExecutable('pnpm')) return current;
  const shims = path.join(root, 'node_modules/.cache/cq-test/bin');
  mkdirSync(shims, { recursive: true });
  const corepack = findExecutable('corepack') ?? path.join(path.dirname(process.execPath), 'corepack');
  if (step(corepack, ['enable', '--install-directory', shims, 'pnpm']) !== 0) {
    throw new Error(`\`corepack enable --install-directory ${shims} pnpm\` failed: turbo needs a pnpm binary`);
  }
  return `${shims}${path.delimiter}${current}`;
}

function main(): number {
  installTestPeers((line) => console.log(line));
  const turboEnv = { ...process.env, PATH: pathWithPnpm(), TURBO_TELEMETRY_DISABLED: '1' };
  const checks = step(bin('turbo'), ['run', 'typecheck', 'lint', '--output-logs=errors-only'], turboEnv);
  if (checks !== 0) return checks;
  return step(bin('vitest'), ['run', ...process.argv.slice(2)]);
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
