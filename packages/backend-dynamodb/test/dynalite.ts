/**
 * A private DynamoDB for tests: dynalite (in memory, no `--path`) on a free port of 127.0.0.1,
 * started with `spawnTracked` so it never outlives the test file.
 */
import { fileURLToPath } from 'node:url';
import { freePort, spawnTracked, stopTracked, waitForPort } from '@cq/tooling/testing';

const CLI = fileURLToPath(new URL('../node_modules/dynalite/cli.js', import.meta.url));

export interface Dynalite {
  port: number;
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  stop(): Promise<void>;
}

/** Starts dynalite and resolves once its port accepts connections (within 20 s). */
export async function startDynalite(): Promise<Dynalite> {
  const port = await freePort();
  const child = spawnTracked(process.execPath, [CLI, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const stop = async () => { await stopTracked(child, { graceMs: 2000 }); };
  try {
    await waitForPort(port, 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, endpoint: `http://127.0.0.1:${port}`, stop };
}
