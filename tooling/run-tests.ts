/**
 * `pnpm test`: the whole test suite on a fresh machine, from a clean checkout after `pnpm install`.
 *
 * 1. Installs the Debian Python peers when `/usr/bin/python3` lacks one (apt-get as root, or `sudo -n`;
 *    otherwise stops with the command to run). See `testing/install-peers.ts`.
 * 2. Type checks and lints every package: `turbo run typecheck lint`. turbo needs a `pnpm` binary on
 *    PATH; when there is none (pnpm only through `corepack pnpm`), a private shim directory made by
 *    `corepack enable --install-directory` goes in front of PATH for turbo alone.
 * 3. Runs `vitest run` in two streams at once and exits with the worse code: the projects that
 *    use only servers of their own ({@link ISOLATED_PROJECTS}: a private SQS emulator, the
 *    build-and-install check) beside every other project, which
 *    share the machine's Redis, RabbitMQ and PostgreSQL and run one file at a time. The isolated
 *    stream's output is printed as a block when it ends. Extra arguments (file filters, `-t`, ...)
 *    mean one plain `vitest run` with them instead.
 *
 * `pnpm test:only` is one plain `vitest run`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTestPeers } from './testing/install-peers.js';
import { findExecutable } from './testing/peers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

/**
 * The vitest projects whose tests start every server they use on ports of their own and assert
 * nothing about timing under load, so they can run beside the rest (which run one file at a time
 * against the shared servers). `chaos` also has servers of its own but kills brokers under load and
 * times the recovery: beside another stream it was seen to time out, so it stays in the shared one.
 */
export const ISOLATED_PROJECTS = ['dist-check', 'transport-sqs'] as const;

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

/**
 * Runs `vitest` with `args`; resolves with its exit code (1 when it could not start) and, with
 * `collect`, its output (otherwise the output goes straight to ours).
 */
function runVitest(args: string[], collect: boolean): Promise<{ code: number; output: string }> {
  // No FORCE_COLOR for colours in collected output: the processes the tests start would inherit it.
  const child = spawn(bin('vitest'), args, { cwd: root, stdio: collect ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise((resolve) => {
    child.once('error', (err) => {
      console.error(`test: cannot run vitest: ${err.message}`);
      resolve({ code: 1, output: Buffer.concat(chunks).toString() });
    });
    child.once('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString() }));
  });
}

/**
 * Runs vitest over the isolated projects with its output collected, and prints it as one block
 * when it ends; resolves with its exit code.
 */
async function isolatedStream(): Promise<number> {
  const { code, output } = await runVitest(['run', ...ISOLATED_PROJECTS.flatMap((name) => ['--project', name])], true);
  process.stdout.write(`\n===== isolated stream (${ISOLATED_PROJECTS.join(', ')}), exit code ${code} =====\n${output}\n===== end of the isolated stream =====\n`);
  return code;
}

/**
 * The names of the workspace's vitest projects (root `vitest.config.ts`: `packages/*`, `apps/*`,
 * `examples`, `tooling`; a project is named after its directory, `vitest.shared.mjs`).
 */
function projectNames(): string[] {
  const dirs = ['packages', 'apps'].flatMap((parent) => readdirSync(path.join(root, parent)).map((name) => path.join(parent, name)));
  return [...dirs, 'examples', 'tooling']
    .filter((dir) => existsSync(path.join(root, dir, 'vitest.config.ts')))
    .map((dir) => path.basename(dir));
}

/**
 * The shared stream: every project but the isolated ones (named one by one: vitest takes one
 * `!name` only), with inherited stdio; resolves with its exit code.
 */
async function sharedStream(): Promise<number> {
  const isolated: readonly string[] = ISOLATED_PROJECTS;
  const args = ['run', ...projectNames().filter((name) => !isolated.includes(name)).flatMap((name) => ['--project', name])];
  return (await runVitest(args, false)).code;
}

async function main(): Promise<number> {
  installTestPeers((line) => console.log(line));
  const turboEnv = { ...process.env, PATH: pathWithPnpm(), TURBO_TELEMETRY_DISABLED: '1' };
  const checks = step(bin('turbo'), ['run', 'typecheck', 'lint', '--output-logs=errors-only'], turboEnv);
  if (checks !== 0) return checks;
  const extra = process.argv.slice(2);
  if (extra.length > 0) return step(bin('vitest'), ['run', ...extra]);
  const [shared, isolated] = await Promise.all([sharedStream(), isolatedStream()]);
  console.log(`test: shared stream exit code ${shared}, isolated stream exit code ${isolated}`);
  return shared !== 0 ? shared : isolated;
}

main().then((code) => {
  process.exitCode = code;
}, (err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
