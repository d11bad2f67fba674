/**
 * The Next.js example over HTTP: `next dev` (Turbopack) on a free port, with a build directory of its
 * own under .next/ (removed after), beside a cq worker; frameworks/testing.ts says what is checked.
 * Next runs from a temporary working directory, where it writes its `cache/` in containers.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it } from 'vitest';
import { freePort } from '@cq/tooling/testing';
import { checkAddApi } from '../frameworks/testing.js';
import { start, stop } from '../support.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const next = createRequire(import.meta.url).resolve('next/dist/bin/next');
const distDir = `.next/test-${randomUUID()}`;
const cwd = mkdtempSync(path.join(os.tmpdir(), 'cq-example-nextjs-'));
afterAll(() => {
  rmSync(path.join(here, distDir), { recursive: true, force: true });
  rmSync(path.join(here, 'next-env.d.ts'), { force: true }); // it points into that build directory
  try { rmdirSync(path.join(here, '.next')); } catch { /* a developer's own .next/ stays */ }
  rmSync(cwd, { recursive: true, force: true });
});

describe('examples/nextjs', () => {
  it('enqueues frameworks.add from the POST /api/add route handler and reports it on GET /api/result/<id>', async () => {
    await checkAddApi(async (env) => {
      const port = await freePort();
      const server = await start(next, {
        tsx: false, args: ['dev', here, '--port', String(port), '--hostname', '127.0.0.1'], cwd,
        env: { ...env, NEXT_DIST_DIR: distDir, NEXT_TELEMETRY_DISABLED: '1', CI: '1' }, ready: /Ready in/,
      });
      return { url: `http://127.0.0.1:${port}`, output: server.output, stop: () => stop(server) };
    }, { add: '/api/add', result: '/api/result' });
  }, 120_000);
});
