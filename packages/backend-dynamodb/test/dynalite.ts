/**
 * A private DynamoDB for tests: dynalite (in memory, no `--path`) on a free port of 127.0.0.1,
 * started with `spawnTracked` so it never outlives the test file.
 */
import { fileURLToPath } from 'node:url';
import { startServer } from '@cq/tooling/testing';

const CLI = fileURLToPath(new URL('../node_modules/dynalite/cli.js', import.meta.url));

export interface Dynalite {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite and resolves once its port accepts connections (within 20 s). */
export async function startDynalite(): Promise<Dynalite> {
  const { port, stop } = await startServer({
    name: 'dynalite', command: process.execPath, timeoutMs: 20_000, graceMs: 2000,
    args: (p) => [CLI, '--port', String(p), '--host', '127.0.0.1'],
  });
  return { port, endpoint: `http://127.0.0.1:${port}`, stop };
}
