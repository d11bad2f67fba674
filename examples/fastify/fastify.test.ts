/**
 * The Fastify example over HTTP: its server.ts as a process beside a cq worker (what is checked:
 * frameworks/testing.ts); SIGTERM closes the server and the cq app, and the process exits 0.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkAddApi, tsxServer } from '../frameworks/testing.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('examples/fastify', () => {
  it('enqueues frameworks.add on POST /add (body checked by a JSON schema) and reports it on GET /result/:id', async () => {
    expect(await checkAddApi(tsxServer(path.join(here, 'server.ts')))).toBe(0);
  }, 120_000);
});
