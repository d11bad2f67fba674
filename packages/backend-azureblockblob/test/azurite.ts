/**
 * A private Azure Blob emulator for the tests: azurite's blob service (a devDependency) on a free
 * port, in memory (its working directory a temporary one), tracked by `spawnTracked` so it
 * never outlives the test file.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { startServer } from '@cq/tooling/testing';

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
  const { port, stop } = await startServer({
    name: 'azurite-blob', command: process.execPath, tempDir: true,
    args: (p) => [main, '--blobHost', '127.0.0.1', '--blobPort', String(p), '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry', '--silent'],
  });
  const connectionString =
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`;
  return { port, connectionString, url: `azureblockblob://${connectionString}`, stop };
}
