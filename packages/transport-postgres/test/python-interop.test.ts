/**
 * Python Celery 5.2 (Debian's, kombu 5.2.4, SQLAlchemy 1.4, psycopg2) and cq on one queue over
 * `sqla+postgresql://` (kombu's `kombu_queue`/`kombu_message`), results in Redis: a Python worker runs
 * what a cq client sends, a cq worker runs what a Python client sends, args, kwargs and errors crossing.
 * The Python worker starts first on an empty database, so Python creates the tables and cq adds its
 * columns to them while Python keeps using them.
 */
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cq, execFileTracked, requirePython, spawnTracked, stopTracked, waitFor, type CqProcess } from '@cq/tooling/testing';
import { app } from './fixtures/app.js';
import { sqlClient, testDatabase } from './helpers.js';

const run = promisify(execFileTracked);
const db = testDatabase('cq_tp_interop');
const broker = `sqla+postgresql://${db}`;
const backend = 'redis://127.0.0.1:6379/9';
const queue = 'pgt.interop';
const pyDir = fileURLToPath(new URL('./py/', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const env = { CQ_PG_BROKER: broker, CQ_PG_BACKEND: backend, CQ_PG_QUEUE: queue };
let python = '';

beforeAll(() => { python = requirePython(['celery', 'sqlalchemy', 'psycopg2', 'redis']); });
afterAll(async () => { await app.close(); });
app.configure({ brokerUrl: broker, resultBackend: backend });

/** Runs Python `code` after `from pg_tasks import app`; resolves with its last stdout line as JSON. */
async function py(code: string): Promise<any> {
  const { stdout } = await run(python, ['-c', `import json\nfrom pg_tasks import app\n${code}`], { cwd: pyDir, env: { ...process.env, ...env }, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

describe('interop with Python Celery over sqla+postgresql://', () => {
  it('cq client → Python worker: args, kwargs and a ValueError', async () => {
    const worker = spawnTracked(python, ['-m', 'celery', '-A', 'pg_tasks', 'worker', '-P', 'solo', '-l', 'info', '-Q', queue,
      '--without-mingle', '--without-gossip', '--without-heartbeat'], { cwd: pyDir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    worker.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    worker.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    try {
      await waitFor(() => log.includes('ready.'), 30_000, () => `python worker did not start:\n${log}`);
      expect(await (await app.sendTask('pgpy.mul', [6, 7], { queue })).get({ timeout: 20 })).toBe(42);
      expect(await (await app.sendTask('pgpy.concat', ['a'], { queue, kwargs: { b: 'b', sep: '+' } })).get({ timeout: 20 })).toBe('a+b');
      const failure = await (await app.sendTask('pgpy.boom', ['cq'], { queue })).get({ timeout: 20 }).then(() => null, (err: unknown) => err as Error);
      expect(failure?.name).toBe('ValueError');
      expect(failure?.message).toContain('python refused: cq');
      // Python's kombu takes at most once: the rows it took stay, invisible and unleased.
      const sql = await sqlClient(broker);
      try {
        const { rows } = await sql.query(`SELECT visible, lease_owner, version FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id WHERE q.name = $1`, [queue]);
        expect(rows).toHaveLength(3);
        expect(rows.every((r) => r.visible === false && r.lease_owner === null && r.version === 2)).toBe(true);
      } finally {
        await sql.end();
      }
    } finally {
      await stopTracked(worker);
    }
  });

  it('Python client → cq worker: args, kwargs and an error, and the acked rows are deleted', async () => {
    const worker: CqProcess = cq(['worker', '-A', fixture, '-b', broker, '--result-backend', backend, '-P', 'async', '-Q', queue, '-l', 'info',
      '--without-mingle', '--without-gossip']);
    try {
      await waitFor(() => worker.err.join('').includes('ready.'), 30_000, () => `worker did not start:\n${worker.err.join('')}`);
      const out = await py(`
Q = '${queue}'
added = app.send_task('pgt.add', args=[20, 22], queue=Q).get(timeout=20)
greeted = app.send_task('pgt.greet', args=['Hi'], kwargs={'name': 'python', 'punctuation': '.'}, queue=Q).get(timeout=20)
try:
    app.send_task('pgt.fail', args=['py'], queue=Q).get(timeout=20)
    failed = None
except Exception as exc:
    failed = [type(exc).__name__, str(exc)]
print(json.dumps({'added': added, 'greeted': greeted, 'failed': failed}))
`);
      expect(out).toEqual({ added: 42, greeted: 'Hi, python.', failed: ['ValueError', 'refused: py'] });
      const sql = await sqlClient(broker);
      try {
        const { rows } = await sql.query(`SELECT count(*)::int AS n FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id WHERE q.name = $1 AND m.visible`, [queue]);
        expect(rows[0].n).toBe(0);
        const left = await sql.query(`SELECT count(*)::int AS n FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id WHERE q.name = $1`, [queue]);
        expect(left.rows[0].n).toBe(3); // only the three Python took in the first test remain
      } finally {
        await sql.end();
      }
    } finally {
      await stopTracked(worker);
    }
  });
});
