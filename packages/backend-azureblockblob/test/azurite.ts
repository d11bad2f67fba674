/**
 * A private Azure Blob emulator for the tests: azurite's blob service (a devDependency) on a free
 * port, in memory (its working directory a temporary one), tracked by `spawnTracked` so it
 * never outlives the test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, spawnTracked, stopTracked, waitForPort } from '@cq/tooling/testing';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  port: number;
  /** The development account's connection string for this emulator. */
  connectionString: string;
  /** `azureblockblob://<connection string>`. */
  url: string;
  stop(): Promise<void>;
}

/** Starts azurite-blob and resolves once its port accepts connections (within 30 s). */
export async function startAzurite(): Promise<Azurite> {
  const main = path.join(path.dirname(createRequire(import.meta.url).resolve('azurite/package.json')), 'dist/src/blob/main.js');
  const port = await freePort();
  const workspace = mkdtempSync(path.join(tmpdir(), 'cq-azurite-'));
  const child = spawnTracked(process.execPath, [
    main, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--inMemoryPersistence',
    '--skipApiVersionCheck', '--disableTelemetry', '--silent',
  ], { cwd: workspace, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const stop = async (): Promise<void> => {
    await stopTracked(child, { graceMs: 5000 });
    rmSync(workspace, { recursive: true, force: true });
  };
  try {
    await Promise.race([
      waitForPort(port, 30_000),
      new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`azurite-blob exited early (${code}): ${stderr}`)))),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`;
  return { port, connectionString, url: `azureblockblob://${connectionString}`, stop };
}
