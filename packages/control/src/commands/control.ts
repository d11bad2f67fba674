/**
 * Built-in control commands (Celery `celery/worker/control.py`, `@control_command`): they change
 * the worker. Replies follow Celery's `{ok: ...}` / `{error: ...}` strings; `shutdown` and
 * `heartbeat` send none when cast without a reply.
 */
import { ControlArgumentError, ControlShutdown } from '../errors.js';
import type { ControlCommandInit } from '../registry.js';
import type { ControlState } from '../state.js';

const ok = (value: unknown): { ok: unknown } => ({ ok: value });
const nok = (value: unknown): { error: unknown } => ({ error: value });

function ids(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return [...new Set((Array.isArray(value) ? value : [value]).map(String))];
}

function num(value: unknown, fallback: number | null): number | null {
  if (value === undefined || value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ControlArgumentError(`not a number: ${String(value)}`);
  return n;
}

/** Celery `rate()`: "10/s", "100/m", "2/h", a number, or empty/0 to disable; throws for anything else. */
function checkRate(rate: unknown): void {
  if (rate === null || rate === undefined || rate === '' || rate === 0) return;
  if (typeof rate === 'number' && rate >= 0) return;
  if (typeof rate === 'string' && /^\s*\d+(\.\d+)?\s*(\/\s*[smh])?\s*$/.test(rate)) return;
  throw new ControlArgumentError(`ValueError('invalid rate limit ${JSON.stringify(rate)}')`);
}

async function revoke(s: ControlState, a: Record<string, unknown>): Promise<unknown> {
  const taskIds = ids(a['task_id']);
  s.revoked.add(taskIds);
  await s.discard(taskIds);
  if (a['terminate'] === true) {
    const signal = typeof a['signal'] === 'string' && a['signal'] !== '' ? a['signal'] : 'SIGTERM';
    const terminated: string[] = [];
    for (const request of s.findRequests(taskIds)) {
      if (request.state !== 'active' || terminated.includes(request.id)) continue;
      s.app.log.info(`Terminating ${request.id} (${signal})`);
      if (await s.terminate(request.id, signal)) terminated.push(request.id);
    }
    return terminated.length === 0 ? ok('terminate: tasks unknown') : ok(`terminate: ${terminated.join(', ')}`);
  }
  const idstr = taskIds.join(', ');
  s.app.log.info(`Tasks flagged as revoked: ${idstr}`);
  return ok(`tasks ${idstr} flagged as revoked`);
}

function rateLimit(s: ControlState, a: Record<string, unknown>): unknown {
  const name = String(a['task_name']);
  const rate = a['rate_limit'] as string | number | null | undefined;
  try {
    checkRate(rate);
  } catch (err) {
    return nok(`Invalid rate limit string: ${(err as Error).message}`);
  }
  const task = s.app.tasks.get(name);
  if (!task) {
    s.app.log.error(`Rate limit attempt for unknown task ${name}`);
    return nok('unknown task');
  }
  (task.options as { rateLimit?: string | number | null }).rateLimit = rate === undefined || rate === '' || rate === 0 ? null : rate;
  s.resetRateLimit(name);
  if (!rate) {
    s.app.log.info(`Rate limits disabled for tasks of type ${name}`);
    return ok('rate limit disabled successfully');
  }
  s.app.log.info(`New rate limit for tasks of type ${name}: ${String(rate)}.`);
  return ok('new rate limit set successfully');
}

function timeLimit(s: ControlState, a: Record<string, unknown>): unknown {
  const name = String(a['task_name']);
  const task = s.app.tasks.get(name);
  if (!task) {
    s.app.log.error(`Change time limit attempt for unknown task ${name}`);
    return nok('unknown task');
  }
  const soft = num(a['soft'], null);
  const hard = num(a['hard'], null);
  const options = task.options as { timeLimit?: number; softTimeLimit?: number };
  if (soft === null) delete options.softTimeLimit;
  else options.softTimeLimit = soft;
  if (hard === null) delete options.timeLimit;
  else options.timeLimit = hard;
  s.app.log.info(`New time limits for tasks of type ${name}: soft=${soft ?? 'None'} hard=${hard ?? 'None'}`);
  return ok('time limits set successfully');
}

export const CONTROL_COMMANDS: ControlCommandInit[] = [
  {
    name: 'revoke', variadic: 'task_id', signature: '[id1 [id2 [... [idN]]]]',
    help: 'Revoke task by task id (or list of ids).', handler: revoke,
  },
  {
    name: 'terminate', args: [['signal', 'str']], variadic: 'task_id', signature: '<signal> [id1 [id2 [... [idN]]]]',
    help: 'Terminate task by task id (or list of ids).',
    handler: (s, a) => revoke(s, { task_id: a['task_id'], terminate: true, signal: a['signal'] }),
  },
  {
    name: 'rate_limit', args: [['task_name', 'str'], ['rate_limit', 'str']], signature: '<task_name> <rate_limit (e.g., 5/s | 5/m | 5/h)>',
    help: 'Tell worker(s) to modify the rate limit for a task by type.', handler: rateLimit,
  },
  {
    name: 'time_limit', args: [['task_name', 'str'], ['soft', 'float'], ['hard', 'float']], signature: '<task_name> <soft_secs> [hard_secs]',
    help: 'Tell worker(s) to modify the time limit for task by type.', handler: timeLimit,
  },
  {
    name: 'election', help: 'Hold election.',
    // Celery hands this to gossip's election; cq has no gossip yet, so the call is accepted and ignored.
    handler: () => undefined,
  },
  {
    name: 'enable_events', help: 'Tell worker(s) to send task-related events.',
    handler: (s) => ok(s.setTaskEvents(true) ? 'task events enabled' : 'task events already enabled'),
  },
  {
    name: 'disable_events', help: 'Tell worker(s) to stop sending task-related events.',
    handler: (s) => ok(s.setTaskEvents(false) ? 'task events disabled' : 'task events already disabled'),
  },
  { name: 'heartbeat', help: 'Tell worker(s) to send event heartbeat immediately.', handler: (s) => void s.heartbeat() },
  {
    name: 'pool_grow', args: [['n', 'int']], signature: '[N=1]', help: 'Grow pool by n processes/threads.',
    handler: (s, a) => { s.poolGrow(num(a['n'], 1)!); return ok('pool will grow'); },
  },
  {
    name: 'pool_shrink', args: [['n', 'int']], signature: '[N=1]', help: 'Shrink pool by n processes/threads.',
    handler: (s, a) => { s.poolShrink(num(a['n'], 1)!); return ok('pool will shrink'); },
  },
  {
    name: 'autoscale', args: [['max', 'int'], ['min', 'int']], signature: '[max [min]]', help: 'Modify autoscale settings.',
    handler: (s, a) => { const [max, min] = s.autoscale(num(a['max'], null), num(a['min'], null)); return ok(`autoscale now max=${max} min=${min}`); },
  },
  {
    name: 'shutdown', help: 'Shutdown worker(s).',
    handler: (s, a) => {
      const msg = typeof a['msg'] === 'string' ? a['msg'] : 'Got shutdown from remote';
      s.app.log.warn(msg);
      throw new ControlShutdown(msg);
    },
  },
  {
    name: 'add_consumer', args: [['queue', 'str'], ['exchange', 'str'], ['exchange_type', 'str'], ['routing_key', 'str']],
    signature: '<queue> [exchange [type [routing_key]]]', help: 'Tell worker(s) to consume from task queue by name.',
    handler: async (s, a) => {
      const { queue, exchange, exchange_type: exchangeType, routing_key: routingKey, ...rest } = a;
      await s.addConsumer(String(queue), {
        ...rest,
        ...(typeof exchange === 'string' ? { exchange } : {}),
        exchangeType: typeof exchangeType === 'string' ? exchangeType : 'direct',
        ...(typeof routingKey === 'string' ? { routingKey } : {}),
      });
      return ok(`add consumer ${String(queue)}`);
    },
  },
  {
    name: 'cancel_consumer', args: [['queue', 'str']], signature: '<queue>', help: 'Tell worker(s) to stop consuming from task queue by name.',
    handler: async (s, a) => {
      await s.cancelConsumer(String(a['queue']));
      return ok(`no longer consuming from ${String(a['queue'])}`);
    },
  },
];
