/**
 * Messages captured from a real Python Celery client (spec/fixtures/redis, kombu envelopes) are put
 * on the SQLite broker as they are and run by a cq worker process: positional and keyword arguments,
 * nested and unicode data, big integers, compression, msgpack and yaml, ETAs (a far one parked on the
 * broker), expiry, and the
 * TypeError Python itself raises for a keyword given twice.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Celery, Connection, fromEnvelope, kombuJson, type Envelope } from '@cq/celery';
import { PYTHON } from '@cq/tooling/testing';
import { repoRoot, useWorker, waitFor, type Sandbox } from './helpers.js';

/** Broker URL schemes resolved as an app of @cq/celery resolves them. */
const transports = new Celery('cli-test').transports;

const fixtures = path.join(repoRoot, 'spec/fixtures/redis');
const load = (name: string) => ({
  envelope: JSON.parse(readFileSync(path.join(fixtures, `${name}.json`), 'utf8')) as Envelope,
  sent: (kombuJson.parse(readFileSync(path.join(fixtures, `${name}.meta.json`), 'utf8')) as { sent: { id: string; args: unknown[]; kwargs: Record<string, unknown> } }).sent,
});

describe('messages written by Python Celery run on the cq worker', () => {
  const ctx = useWorker(['-c', '4']);
  let box: Sandbox;
  let client: Celery;
  beforeAll(() => ({ box, client } = ctx));

  async function run(name: string) {
    const { envelope, sent } = load(name);
    const conn = await new Connection(box.broker, { transports }).connect();
    const channel = await conn.channel();
    await channel.publish(fromEnvelope(envelope, 'fixture', 'celery'), '', 'celery');
    await conn.close();
    return { sent, result: client.asyncResult(sent.id) };
  }

  it.each(['plain_args', 'countdown', 'priority', 'time_limits', 'shadow_headers', 'expires_datetime'])('%s: tasks.add runs with the args Python sent', async (name) => {
    const { sent, result } = await run(name);
    const [x, y] = sent.args as [number, number];
    expect(await result.get({ timeout: 20 })).toBe(x + y);
  });

  it.each(['kwargs_nested', 'compression_zlib', 'compression_bzip2', 'serializer_msgpack', 'serializer_yaml', 'long_args_truncated'])('%s: tasks.echo receives exactly the args and kwargs Python sent', async (name) => {
    const { sent, result } = await run(name);
    expect(await result.get({ timeout: 20 })).toEqual({ args: sent.args, kwargs: sent.kwargs });
  });

  it('eta_datetime: a task with an ETA in 2030 is parked on the broker until then, not run', async () => {
    const { sent, result } = await run('eta_datetime');
    // Broker-side ETA (the SQLite transport's store_eta): the worker hands the row back, hidden until 2030.
    const parked = () => execFileSync(PYTHON, ['-c', [
      'import sqlite3, sys',
      'db = sqlite3.connect(sys.argv[1])',
      "print(db.execute(\"SELECT count(*) FROM kombu_message WHERE visible = 0 AND visible_after > 1893456000 AND payload LIKE ?\", ('%' + sys.argv[2] + '%',)).fetchone()[0])",
    ].join('\n'), path.join(box.dir, 'broker.db'), sent.id], { encoding: 'utf8' }).trim();
    await waitFor(() => parked() === '1', 10_000);
    const later = await run('plain_args');
    expect(await later.result.get({ timeout: 20 })).toBe(5);
    expect(await result.state()).toBe('PENDING');
  });

  it('send_task with a keyword that repeats a positional fails with TypeError, as in Python', async () => {
    const { result } = await run('send_task_list_args');
    await expect(result.get({ timeout: 20 })).rejects.toMatchObject({ name: 'TypeError', message: expect.stringContaining("multiple values for argument 'y'") });
  });

  it('expires_seconds: an expired task is not run and is stored as REVOKED', async () => {
    const { result } = await run('expires_seconds');
    const err = await result.get({ timeout: 20 }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('TaskRevokedError');
    expect(await result.state()).toBe('REVOKED');
    expect((await result.meta()).result).toMatchObject({ exc_type: 'TaskRevokedError', exc_message: ['expired'] });
  });
});
