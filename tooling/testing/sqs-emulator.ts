/**
 * A private SQS emulator for tests and the bench: the `fauxqs` npm package (1.9.x on Node 20, a
 * devDependency of @cq/transport-sqs) embedded in a process of its own (`sqs-front.ts`) that serves
 * BOTH SQS protocols on one port over one in-memory store — JSON for the AWS SDK for JavaScript,
 * query/XML for Debian's botocore 1.29 under kombu 5.2 — so a cq worker and a Python Celery worker
 * share the same queues. Started with `spawnTracked`, so it never outlives the test file.
 *
 * Queue URLs are `http://127.0.0.1:<port>/000000000000/<name>`; any credentials work, the region is
 * read from the SigV4 header (default us-east-1). Python's kombu 5.2 reaches it through the broker
 * URL `sqs://key:secret@127.0.0.1:<port>` with `broker_transport_options={'is_secure': False,
 * 'region': 'us-east-1'}`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './cli.js';
import { freePort } from './ports.js';
import { spawnTracked, stopTracked } from './processes.js';

/** A running emulator. */
export interface SqsEmulator {
  /** The TCP port it listens on (every interface). */
  port: number;
  /** `http://127.0.0.1:<port>`: the endpoint to give an SQS client. */
  endpoint: string;
  /** Stops it; never rejects. */
  stop(): Promise<void>;
}

/** Where fauxqs's dist is found: from the SQS transport's devDependencies, or tooling's. */
function fauxqsDist(): string {
  const candidates = ['packages/transport-sqs/node_modules/fauxqs/dist', 'tooling/node_modules/fauxqs/dist'];
  for (const candidate of candidates) {
    const dir = path.join(repoRoot, candidate);
    if (existsSync(path.join(dir, 'app.js'))) return dir;
  }
  throw new Error('fauxqs is not installed: run `corepack pnpm install` (it is a devDependency of @cq/transport-sqs)');
}

/** Polls `GET <endpoint>/health` every 100 ms until it answers 200. */
async function waitForHealth(endpoint: string, timeoutMs: number, exitedEarly: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const early = exitedEarly();
    if (early) throw new Error(early);
    try {
      const res = await fetch(`${endpoint}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the SQS emulator did not answer ${endpoint}/health within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts an SQS emulator on `options.port` (default: a free port) and resolves once it answers
 * `/health` (within 30 s).
 * @throws Error when fauxqs is not installed, the process exits early or does not answer in time.
 */
export async function startSqsEmulator(options: { port?: number } = {}): Promise<SqsEmulator> {
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const script = path.join(repoRoot, 'tooling/testing/sqs-front.ts');
  const child = spawnTracked(process.execPath, ['--import', 'tsx', script], {
    cwd: repoRoot,
    env: { ...process.env, SQS_FRONT_PORT: String(port), FAUXQS_DIST: pathToFileURL(fauxqsDist()).href },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const stop = async () => { await stopTracked(child, { graceMs: 5000 }); };
  try {
    await waitForHealth(endpoint, 30_000, () =>
      child.exitCode !== null || child.signalCode !== null ? `the SQS emulator exited early (${child.exitCode ?? child.signalCode}): ${stderr}` : undefined);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, endpoint, stop };
}
