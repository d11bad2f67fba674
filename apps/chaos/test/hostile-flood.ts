/**
 * The scenario of cq issue 15, "hostile input at scale": a `cq worker` process (`-P async`) for
 * `fixtures/flood-app.ts` receives 10,000 malformed messages mixed with 10,000 good `flood.echo` tasks,
 * published straight through the broker. Malformed means: a content type it does not accept, a body
 * that does not decode (bad JSON, invalid UTF-8, garbage msgpack), headers of the wrong type, not a
 * task at all, an unknown task, a bad embedded signature, compression bombs (1 GiB and 32 MiB), JSON
 * and msgpack nested 100,000 deep, YAML alias bombs, deep and cyclic YAML, a body over the size
 * limit, and — where the broker stores text (Redis, SQLite) — entries that are not envelopes at all.
 *
 * Before the flood, a 1 GiB zlib bomb and a 100,000-deep JSON array are sent alone, so their refusal
 * lines are seen verbatim (in the flood most lines are held back by the rate limit).
 *
 * Measured: every good task's result; every bad message accounted for in the worker's log (a report
 * line, or counted in a `Suppressed K more` line); the worker's peak resident memory (VmRSS sampled
 * every 100 ms); the worker still running at the end and stopping cleanly; nothing left in the queue.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Celery, type Channel } from '@cq/celery';
import {
  billionLaughsYaml, cqWorker, deepJsonArray, deepMsgpackArray, deepYamlSequence, exited, stopTracked, waitFor, zlibBomb, type CqProcess,
} from '@cq/tooling/testing';

const floodApp = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/flood-app.ts');
const MiB = 1024 * 1024;

/** A line reporting one bad message, as the worker writes it. */
const REPORT = /Can't decode message body|Received invalid or unknown message|Received unregistered task of type|Stored entry of queue \S+ is not a message/;
const SUPPRESSED = /Suppressed (\d+) more bad-message report/;

export interface FloodOptions {
  /** Broker URL. */
  broker: string;
  /** Result backend URL. */
  resultBackend: string;
  /** Writes raw entries straight into `queue`'s store (a Redis list, SQLite rows); absent where the broker has no such thing (AMQP). */
  injectRaw?: (queue: string, entries: string[]) => Promise<void>;
  /** Reads what the test wants to know of the store before the queue is deleted (e.g. rows set aside). */
  inspect?: (queue: string) => Promise<number>;
  /** Good tasks and bad messages in the flood. Default 10,000 each. */
  good?: number;
  bad?: number;
}

export interface FloodOutcome {
  queue: string;
  good: number;
  bad: number;
  /** Bad messages by kind. */
  kinds: Record<string, number>;
  /** Good tasks whose result is not SUCCESS with `2n`, as `<n>: <state> <result>`. */
  wrongResults: string[];
  /** Report lines written, and reports counted in `Suppressed` lines (the flood and the two sent before it). */
  reported: number;
  suppressed: number;
  /** The refusal lines of the 1 GiB bomb and of the 100,000-deep array sent before the flood. */
  bombLine: string | undefined;
  deepLine: string | undefined;
  /** VmRSS of the worker once ready, its peak over the run in MiB, and how many samples were taken. */
  readyRssMiB: number;
  peakRssMiB: number;
  samples: number;
  /** Messages still ready in the queue at the end. */
  leftInQueue: number;
  /** What `inspect` returned (null without it). */
  inspected: number | null;
  workerAlive: boolean;
  workerExitCode: number | null;
  /** Lines of the log that mention an unexpected failure (a crash of the message path would show there). */
  unexpected: string[];
  /** Seconds the flood took, from the first publish to the last result; of which publishing. */
  floodSeconds: number;
  publishSeconds: number;
  workerLog: string;
}

/** A message as the test publishes it through the broker (kombu's RawMessage). */
type RawMessage = Parameters<Channel['publish']>[0];

/** One malformed message of the flood: a raw message published through the broker, or a raw store entry. */
type Bad = { kind: string; message: RawMessage } | { kind: string; raw: string };

const task = (id = randomUUID()): Record<string, unknown> => ({ lang: 'py', task: 'flood.echo', id, retries: 0, timelimit: [null, null] });
const json = (body: Buffer | string, headers = task(), contentType = 'application/json', contentEncoding = 'utf-8'): RawMessage =>
  ({ body: Buffer.isBuffer(body) ? body : Buffer.from(body), contentType, contentEncoding, headers, properties: { delivery_mode: 2, priority: 0 } });

/** Header values of the wrong type, one per header the worker reads. */
const WRONG_HEADERS: Array<Record<string, unknown>> = [
  { retries: 'x' }, { timelimit: 'x' }, { timelimit: [-1, null] }, { eta: 5 }, { expires: [] }, { eta: 'tomorrow' },
  { group_index: -1 }, { ignore_result: 'yes' }, { stamps: [] }, { stamped_headers: 'x' }, { root_id: 7 }, { parent_id: {} },
  { shadow: {} }, { argsrepr: 1 }, { origin: false }, { replaced_task_nesting: 'x' }, { id: '' }, { task: 5 },
];

/** The flood's malformed messages, `total` in all (raw store entries only when `withRaw`), shuffled deterministically. */
function badMessages(total: number, withRaw: boolean): Bad[] {
  const bomb1g = zlibBomb();
  const bomb32m = zlibBomb(32 * MiB);
  const deep = Buffer.from(deepJsonArray(100_000));
  const plan: Array<[string, number, (i: number) => RawMessage | { raw: string }]> = [
    ['content type not accepted (pickle)', 1000, () => json(Buffer.from([0x80, 0x04, 0x95, 0xff]), task(), 'application/x-python-serialize', 'binary')],
    ['content type not accepted (html)', 400, () => json('<html>', task(), 'text/html')],
    ['invalid UTF-8 JSON', 500, () => json(Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]))],
    ['header of the wrong type', 1800, (i) => json('[[1], {}, null]', { ...task(), ...WRONG_HEADERS[i % WRONG_HEADERS.length] })],
    ['not a task message', 700, () => json('[1, 2, 3]', {})],
    ['unknown task', 700, () => json('[[1], {}, null]', { ...task(), task: 'flood.nope' })],
    ['bad embedded signature', 400, (i) => json(JSON.stringify([[1], {}, i % 2 ? { chain: [1] } : { chord: 'x' }]))],
    ['zlib bomb, 1 GiB', 3, () => json(bomb1g, { ...task(), compression: 'application/x-gzip' })],
    ['zlib bomb, 32 MiB', 200, () => json(bomb32m, { ...task(), compression: 'application/x-gzip' })],
    ['JSON 100,000 deep', 30, () => json(deep)],
    ['JSON 1001 deep', 400, () => json(deepJsonArray(1001))],
    ['YAML billion laughs', 150, () => json(billionLaughsYaml(), task(), 'application/x-yaml')],
    ['YAML 100,000 deep', 150, () => json(deepYamlSequence(100_000), task(), 'application/x-yaml')],
    ['YAML cyclic anchor', 150, () => json('&a [[1], {}, *a]', task(), 'application/x-yaml')],
    ['msgpack 100,000 deep', 150, () => json(deepMsgpackArray(100_000), task(), 'application/x-msgpack', 'binary')],
    ['msgpack garbage', 150, () => json(Buffer.from([0x93, 0xc1, 0xc1]), task(), 'application/x-msgpack', 'binary')],
    ['body over the 16 MiB limit', 2, () => json(Buffer.alloc(17 * MiB, 0x20))],
  ];
  if (withRaw) {
    const raws = ['garbage', '123', 'null', '[]', '{"body": 5, "properties": {}}', '{"body": "", "headers": 5, "properties": {"delivery_tag": "x1"}}',
      `{"body": "", "headers": {}, "properties": {"x": ${deepJsonArray(20_000)}}}`];
    plan.push(['store entry that is not an envelope', 350, (i) => ({ raw: raws[i % raws.length]!.replace('"x1"', `"${randomUUID()}"`) })]);
  }
  const planned = plan.reduce((n, [, count]) => n + count, 0);
  plan.push(['bad JSON', total - planned, () => json('{"not json')]);
  const out: Bad[] = [];
  for (const [kind, count, make] of plan) {
    for (let i = 0; i < count; i++) {
      const made = make(i);
      out.push('raw' in made ? { kind, raw: made.raw } : { kind, message: made });
    }
  }
  // A fixed shuffle (LCG), so kinds are mixed the same way on every run.
  let seed = 15;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** VmRSS of `pid` in MiB, or null once it is gone. */
function rssMiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function accounting(worker: CqProcess): { reported: number; suppressed: number; lines: string[] } {
  const lines = worker.err.join('').split('\n');
  let reported = 0;
  let suppressed = 0;
  for (const line of lines) {
    if (REPORT.test(line)) reported++;
    const held = SUPPRESSED.exec(line);
    if (held) suppressed += Number(held[1]);
  }
  return { reported, suppressed, lines };
}

/** Runs the scenario; always stops the worker and closes the client. */
export async function hostileFlood(options: FloodOptions): Promise<FloodOutcome> {
  const goodCount = options.good ?? 10_000;
  const badCount = options.bad ?? 10_000;
  const queue = `flood.${randomUUID().slice(0, 8)}`;
  const worker = await cqWorker(['-A', floodApp, '-b', options.broker, '--result-backend', options.resultBackend, '-l', 'info', '-P', 'async',
    '-c', '50', '-Q', queue, '--without-gossip', '--without-mingle', '--without-heartbeat']);
  const readyRssMiB = rssMiB(worker.pid!) ?? 0;
  let peakRssMiB = readyRssMiB;
  let samples = 0;
  const sampler = setInterval(() => {
    const rss = rssMiB(worker.pid!);
    if (rss === null) return;
    samples++;
    peakRssMiB = Math.max(peakRssMiB, rss);
  }, 100);
  const client = new Celery('flood-client', { task_default_queue: queue }).configure({ brokerUrl: options.broker, resultBackend: options.resultBackend });
  const connection = client.connection();
  try {
    const channel: Channel = await connection.channel();
    const publish = (message: RawMessage) => channel.publish(message, '', queue);

    // The two alone, before the flood: each refusal line is written as is.
    const bombId = randomUUID();
    const deepId = randomUUID();
    await publish(json(zlibBomb(), { ...task(bombId), compression: 'application/x-gzip' }));
    await publish(json(deepJsonArray(100_000), task(deepId)));
    const first = await client.sendTask('flood.echo', [21]);
    if ((await first.get({ timeout: 30 })) !== 42) throw new Error('the first good task failed');
    const lineOf = (id: string) => accounting(worker).lines.find((l) => l.includes(id) && REPORT.test(l));
    await waitFor(() => lineOf(bombId) !== undefined && lineOf(deepId) !== undefined, 10_000, () => `no refusal lines:\n${worker.err.join('').slice(-3000)}`);

    // The flood: good and bad interleaved, 16 publishes in flight.
    const bad = badMessages(badCount, options.injectRaw !== undefined);
    const kinds: Record<string, number> = {};
    for (const b of bad) kinds[b.kind] = (kinds[b.kind] ?? 0) + 1;
    const rawEntries = bad.flatMap((b) => ('raw' in b ? [b.raw] : []));
    const messages = bad.flatMap((b) => ('message' in b ? [b.message] : []));
    const ids: string[] = new Array<string>(goodCount);
    const started = Date.now();
    let nextGood = 0;
    let nextBad = 0;
    let rawInjected = false;
    const lane = async () => {
      while (nextGood < goodCount || nextBad < messages.length) {
        if (nextGood < goodCount) {
          const n = nextGood++;
          ids[n] = (await client.sendTask('flood.echo', [n])).id;
        }
        if (nextBad < messages.length) await publish(messages[nextBad++]!);
        if (!rawInjected && nextGood >= goodCount / 2 && options.injectRaw) {
          rawInjected = true;
          await options.injectRaw(queue, rawEntries);
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, () => lane()));
    const publishSeconds = (Date.now() - started) / 1000;

    // Every good result, then every bad message accounted for.
    const backend = await client.backend();
    if (!backend) throw new Error('the client has no result backend');
    const wrongResults: string[] = [];
    await waitFor(async () => {
      wrongResults.length = 0;
      for (let at = 0; at < ids.length; at += 1000) {
        const metas = await backend.getManyTaskMeta(ids.slice(at, at + 1000));
        metas.forEach((meta, k) => {
          if (meta.status !== 'SUCCESS' || meta.result !== 2 * (at + k)) wrongResults.push(`${at + k}: ${meta.status} ${JSON.stringify(meta.result)}`);
        });
      }
      return wrongResults.length === 0;
    }, 90_000, () => `${wrongResults.length} good tasks without their result, e.g. ${wrongResults.slice(0, 3).join('; ')}`).catch(() => undefined);
    const floodSeconds = (Date.now() - started) / 1000;
    const expected = badCount + 2;
    await waitFor(() => { const a = accounting(worker); return a.reported + a.suppressed >= expected; }, 15_000).catch(() => undefined);
    const { reported, suppressed, lines } = accounting(worker);
    const workerAlive = worker.exitCode === null && worker.signalCode === null;
    const leftInQueue = (await channel.declareQueue({ name: queue, durable: true, exclusive: false, autoDelete: false, arguments: {} })).messageCount;
    const inspected = options.inspect ? await options.inspect(queue) : null;
    await channel.deleteQueue(queue).catch(() => 0);
    clearInterval(sampler);
    worker.kill('SIGTERM');
    const workerExitCode = await Promise.race([exited(worker), new Promise<null>((r) => setTimeout(() => r(null), 20_000))]);
    const unexpected = lines.filter((l) => !REPORT.test(l) && /error handling message|Unhandled|uncaught|Error: .*\n?at /i.test(l));
    return {
      queue, good: goodCount, bad: badCount, kinds, wrongResults, reported, suppressed,
      bombLine: lineOf(bombId), deepLine: lineOf(deepId), readyRssMiB, peakRssMiB, samples, leftInQueue, inspected, workerAlive, workerExitCode,
      unexpected, floodSeconds, publishSeconds, workerLog: worker.err.join(''),
    };
  } finally {
    clearInterval(sampler);
    await connection.close().catch(() => undefined);
    await client.close().catch(() => undefined);
    await stopTracked(worker);
  }
}

/** A one-line summary for the test output. */
export function floodSummary(name: string, o: FloodOutcome): string {
  return `${name}: ${o.good} good + ${o.bad} bad in ${o.floodSeconds.toFixed(1)} s (published in ${o.publishSeconds.toFixed(1)} s); ${o.wrongResults.length} good without result; `
    + `bad reported ${o.reported} + suppressed ${o.suppressed} = ${o.reported + o.suppressed} (of ${o.bad + 2}); RSS ${o.readyRssMiB.toFixed(0)} MiB ready, peak ${o.peakRssMiB.toFixed(0)} MiB `
    + `(${o.samples} samples); left in queue ${o.leftInQueue}; worker exit ${o.workerExitCode}`;
}
