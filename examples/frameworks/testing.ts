/**
 * The check every web-framework example's test makes, over HTTP against the example's real server
 * and a real `cq worker -A frameworks/tasks.ts -P async` on the local Redis (a queue of its own per
 * call, so tests running side by side never take each other's tasks):
 *
 * 1. `POST <add> {"x": 2, "y": 3}` answers 202 with a task id; `GET <result>/<id>` is polled until
 *    it answers `{ state: 'SUCCESS', result: 5 }`;
 * 2. `POST <add>?wait=1 {"x": 20, "y": 22}` answers 200 with `{ state: 'SUCCESS', result: 42 }`;
 * 3. a body that is not two numbers answers 400, and enqueues nothing;
 * 4. `GET <result>/<unknown id>` answers `PENDING`, as Celery does for an id it never saw;
 * 5. the worker's log shows both tasks succeeded under the ids the API gave, and no other task ran.
 *
 * The queue and its binding are deleted from Redis afterwards.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { Celery } from '@cq/app';
import { cqBin, freePort, waitFor } from '@cq/tooling/testing';
import { redisTransport } from '@cq/transport-redis';
import { start, stop } from '../support.js';

const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tasks.ts');

/** A web server an example's test started: its base URL, its output so far, and how to stop it (resolves with its exit code). */
export interface WebServer {
  url: string;
  output: () => string;
  stop: () => Promise<number | null>;
}

/** Where the example serves the two routes; Express, Fastify and Nest use the defaults. */
export interface AddApiPaths {
  add: string;
  result: string;
}

/**
 * How the Express, Fastify and Nest tests start their example: `node --import tsx <file>` in its
 * directory, on a free port given as `PORT`, ready once it prints `listening on`.
 */
export function tsxServer(file: string): (env: Record<string, string>) => Promise<WebServer> {
  return async (env) => {
    const port = await freePort();
    const server = await start(file, { cwd: path.dirname(file), env: { ...env, PORT: String(port) }, ready: /listening on/ });
    return { url: `http://127.0.0.1:${port}`, output: server.output, stop: () => stop(server) };
  };
}

/**
 * Starts a worker, then the example's server through `startServer(env)` (`env` names the worker's
 * queue: `FRAMEWORKS_QUEUE`), runs the checks above, and stops both even when a check fails.
 * @returns the server's exit code, for the caller to check its own shutdown.
 */
export async function checkAddApi(startServer: (env: Record<string, string>) => Promise<WebServer>, paths: AddApiPaths = { add: '/add', result: '/result' }): Promise<number | null> {
  const env = { FRAMEWORKS_QUEUE: `frameworks-${randomUUID()}` };
  const worker = await start(cqBin, { args: ['worker', '-A', TASKS, '-P', 'async', '-c', '10', '-l', 'info'], cwd: path.dirname(TASKS), env, ready: /ready\./ });
  let serverExit: number | null = null;
  const ids: string[] = [];
  try {
    const server = await startServer(env);
    try {
      ids.push(...await exercise(server.url, paths));
    } catch (error) {
      if (error instanceof Error) error.message += `\n--- the server's output ---\n${server.output()}`;
      throw error;
    } finally {
      serverExit = await server.stop();
    }
  } finally {
    await stop(worker);
    await deleteQueue(env.FRAMEWORKS_QUEUE);
  }
  for (const id of ids) expect(worker.output()).toContain(`Task frameworks.add[${id}] succeeded`);
  expect(worker.output().match(/Task frameworks\.add\[[0-9a-f-]+\] succeeded/g)).toHaveLength(2);
  return serverExit;
}

/** Deletes the test's queue and its exchange's binding set from Redis: a run leaves nothing behind. */
async function deleteQueue(queue: string): Promise<void> {
  const app = new Celery('cleanup', { broker_url: process.env.REDIS_URL ?? 'redis://localhost:6379/0' }, { plugins: [redisTransport()] });
  const connection = app.connection();
  try {
    const channel = await connection.channel();
    await channel.deleteQueue(queue);
    await channel.deleteExchange(queue);
  } finally {
    await connection.close();
  }
}

/** Runs checks 1-4 against `url`; returns the ids of the two tasks the API enqueued. */
async function exercise(url: string, paths: AddApiPaths): Promise<string[]> {
  const sent = await call('POST', `${url}${paths.add}`, { x: 2, y: 3 });
  expect(sent.status).toBe(202);
  const id = (sent.body as { id: string }).id;
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  let status: unknown;
  await waitFor(async () => {
    const answer = await call('GET', `${url}${paths.result}/${id}`);
    expect(answer.status).toBe(200);
    status = answer.body;
    return (status as { state: string }).state !== 'PENDING';
  }, 20_000, () => `task ${id} still PENDING after 20 s`);
  expect(status).toEqual({ id, state: 'SUCCESS', result: 5 });

  const waited = await call('POST', `${url}${paths.add}?wait=1`, { x: 20, y: 22 });
  expect(waited.status).toBe(200);
  const waitedId = (waited.body as { id: string }).id;
  expect(waited.body).toEqual({ id: waitedId, state: 'SUCCESS', result: 42 });
  expect(waitedId).not.toBe(id);

  expect((await call('POST', `${url}${paths.add}`, { x: 'two', y: 3 })).status).toBe(400);
  expect((await call('POST', `${url}${paths.add}`, { x: 2 })).status).toBe(400);

  const unknown = randomUUID();
  expect(await call('GET', `${url}${paths.result}/${unknown}`)).toEqual({ status: 200, body: { id: unknown, state: 'PENDING' } });
  return [id, waitedId];
}

/** One HTTP request with an optional JSON body; the answer's status and parsed JSON body. */
async function call(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    throw new Error(`${method} ${url} answered ${response.status} with no JSON: ${text.slice(0, 300)}`);
  }
}
