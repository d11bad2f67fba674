/**
 * The OpenAPI 3.1 description of the HTTP API, served at `GET /api/openapi.json`: Flower's paths,
 * parameters and shapes, plus the dashboard's own (`/metrics`, `/api/ui/*`, `/api/stats/*`).
 * Arguments Flower reads with `get_argument` are listed as query parameters; they may also come
 * form-encoded or as a JSON object in the body.
 */
import { TASK_FIELDS } from './flower.js';

type Param = [name: string, type: 'string' | 'integer' | 'number' | 'boolean', description: string, required?: boolean];

const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

function operation(summary: string, params: Param[], ok: object, extra: Record<string, object> = {}, pathParam?: string, body?: object) {
  return {
    summary,
    parameters: [
      ...(pathParam ? [{ name: pathParam, in: 'path', required: true, schema: { type: 'string' } }] : []),
      ...params.map(([name, type, description, required]) => ({ name, in: 'query', required: Boolean(required), description, schema: { type } })),
    ],
    ...(body ? { requestBody: { content: { 'application/json': { schema: body } } } } : {}),
    responses: { 200: ok, 401: text('unauthorized'), ...extra },
  };
}

const workerControl = (summary: string, params: Param[] = []) => ({
  post: operation(summary, params, json(ref('Message')), { 403: text('the worker replied an error, or read-only mode'), 404: text('unknown worker'), 504: text('no reply') }, 'workername'),
});
const apply = (summary: string, extra: Record<string, object> = {}) => ({
  post: operation(summary, [], json(ref('Applied')), { 404: text('unknown task'), 400: text('bad arguments'), ...extra }, 'taskname', ref('ApplyBody')),
});
const listing: Param[] = [
  ['limit', 'integer', 'maximum number of tasks'], ['offset', 'integer', 'skip the first n tasks'],
  ['sort_by', 'string', 'name, state, received or started; prefix - for descending; default newest event first'],
  ['workername', 'string', 'worker host name'], ['taskname', 'string', 'task name'], ['state', 'string', 'task state'],
  ['received_start', 'string', 'received at or after, YYYY-MM-DD HH:MM local time'], ['received_end', 'string', 'received at or before, YYYY-MM-DD HH:MM local time'],
  ['search', 'string', "Flower's search: words, result:, args:, kwargs:k=v, state:"],
];

/** The OpenAPI document. */
export function openApiDocument(version: string): Record<string, unknown> {
  const nullable = (type: string) => ({ type: [type, 'null'] });
  const taskProps = Object.fromEntries(TASK_FIELDS.map((f) => [f, f === 'children' ? { type: 'array', items: { type: 'string' } } : ['received', 'sent', 'started', 'rejected', 'succeeded', 'failed', 'retried', 'revoked', 'timestamp', 'runtime'].includes(f) ? nullable('number') : ['clock', 'retries'].includes(f) ? nullable('integer') : nullable('string')]));
  return {
    openapi: '3.1.0',
    info: { title: 'cq dashboard API', version, description: "Flower's HTTP API (same paths, parameters and JSON), answered from the dashboard's recorded history." },
    components: {
      securitySchemes: { basic: { type: 'http', scheme: 'basic' }, bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Task: { type: 'object', description: "Celery's events.state.Task.as_dict()", properties: taskProps },
        Message: { type: 'object', properties: { message: { type: 'string' } } },
        Applied: { type: 'object', properties: { 'task-id': { type: 'string' }, state: { type: 'string' }, result: {}, traceback: nullable('string') } },
        QueueView: {
          type: 'object',
          properties: { name: { type: 'string' }, messages: { type: 'integer' }, consumers: { type: 'array', items: { type: 'object', properties: { worker: { type: 'string' }, alive: { type: 'boolean' } } } } },
        },
        CanvasGraph: {
          type: 'object', description: 'nodes with their layer (column) and order (row); edges kind child (sent by) or callback (chord body after a header member)',
          properties: {
            task: { type: 'string' }, root: { type: 'string' }, truncated: { type: 'boolean' }, results: { type: 'boolean', description: 'whether result metas were read' },
            nodes: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: nullable('string'), state: { type: 'string' }, worker: nullable('string'), group: nullable('string'), recorded: { type: 'boolean' }, layer: { type: 'integer' }, order: { type: 'integer' } } } },
            edges: { type: 'array', items: { type: 'object', properties: { from: { type: 'string' }, to: { type: 'string' }, kind: { enum: ['child', 'callback'] } } } },
            groups: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, members: { type: 'array', items: { type: 'string' } }, callback: nullable('string') } } },
          },
        },
        BeatSchedule: {
          type: 'object',
          properties: {
            configured: { type: 'boolean' }, timezone: { type: 'string' },
            state: { type: 'object', properties: { kind: { enum: ['file', 'broker', 'none'] }, where: nullable('string'), error: nullable('string') } },
            entries: {
              type: 'array', items: {
                type: 'object', properties: {
                  name: { type: 'string' }, task: nullable('string'), schedule: nullable('string'), args: { type: 'array' }, kwargs: { type: 'object' }, options: { type: 'object' },
                  last_run_at: nullable('number'), next_run_at: nullable('number'), total_run_count: nullable('integer'), error: nullable('string'),
                },
              },
            },
          },
        },
        Throughput: {
          type: 'object', description: 'times: bucket starts (Unix s); series and totals per event kind',
          properties: {
            interval: { type: 'number' }, since: { type: 'number' }, until: { type: 'number' }, times: { type: 'array', items: { type: 'number' } },
            series: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } }, totals: { type: 'object', additionalProperties: { type: 'integer' } },
          },
        },
        ApplyBody: {
          type: 'object', description: 'apply_async options beside args and kwargs: countdown, eta, expires, queue, exchange, routing_key, priority, task_id, headers, ...',
          properties: { args: { type: 'array' }, kwargs: { type: 'object' } }, additionalProperties: true,
        },
      },
    },
    security: [{}, { basic: [] }, { bearer: [] }],
    paths: {
      '/healthcheck': { get: { summary: 'liveness (no credentials needed)', security: [{}], responses: { 200: text('OK') } } },
      '/metrics': { get: { summary: "Prometheus metrics (Flower's names, plus cq_task_wait_seconds and cq_queue_length)", responses: { 200: text('text exposition format') } } },
      '/api/workers': { get: operation('inspected workers: {name: {stats, active_queues, registered, scheduled, active, reserved, revoked, conf, timestamp}}', [['refresh', 'boolean', 'inspect the workers first'], ['workername', 'string', 'one worker'], ['status', 'boolean', 'answer {name: alive} instead']], json({ type: 'object', additionalProperties: { type: 'object' } }), { 404: text('unknown worker'), 503: text('inspect failed') }) },
      '/api/worker/shutdown/{workername}': workerControl('shut a worker down'),
      '/api/worker/pool/restart/{workername}': workerControl("restart a worker's pool"),
      '/api/worker/pool/grow/{workername}': workerControl("grow a worker's pool", [['n', 'integer', 'processes to add (1)']]),
      '/api/worker/pool/shrink/{workername}': workerControl("shrink a worker's pool", [['n', 'integer', 'processes to remove (1)']]),
      '/api/worker/pool/autoscale/{workername}': workerControl('set autoscale bounds', [['min', 'integer', 'minimum processes', true], ['max', 'integer', 'maximum processes', true]]),
      '/api/worker/queue/add-consumer/{workername}': workerControl('start consuming a queue', [['queue', 'string', 'queue name', true]]),
      '/api/worker/queue/cancel-consumer/{workername}': workerControl('stop consuming a queue', [['queue', 'string', 'queue name', true]]),
      '/api/tasks': { get: operation('tasks, in order: {uuid: task} (worker last, absent when unknown)', listing, json({ type: 'object', additionalProperties: ref('Task') }), { 400: text('bad argument') }) },
      '/api/task/types': { get: operation('task names seen', [], json({ type: 'object', properties: { 'task-types': { type: 'array', items: { type: 'string' } } } })) },
      '/api/task/info/{taskid}': { get: operation('one task', [], json(ref('Task')), { 404: text('unknown task') }, 'taskid') },
      '/api/task/result/{taskid}': { get: operation('a result from the result backend', [['timeout', 'number', 'seconds to wait']], json(ref('Applied')), { 503: text('no result backend') }, 'taskid') },
      '/api/task/apply/{taskname}': apply('send a task and wait for its result'),
      '/api/task/async-apply/{taskname}': apply('send a task'),
      '/api/task/send-task/{taskname}': apply('send a task by name'),
      '/api/task/abort/{taskid}': { post: operation('mark a task ABORTED in the result backend', [], json(ref('Message')), { 503: text('no result backend') }, 'taskid') },
      '/api/task/revoke/{taskid}': { post: operation('revoke a task', [['terminate', 'boolean', 'also stop it if running'], ['signal', 'string', 'signal for terminate (SIGTERM)']], json(ref('Message')), {}, 'taskid') },
      '/api/task/rate-limit/{taskname}': { post: operation("set a task's rate limit on a worker", [['ratelimit', 'string', 'e.g. 10/m', true], ['workername', 'string', 'worker', true]], json(ref('Message')), { 403: text('refused'), 404: text('unknown task or worker'), 504: text('no reply') }, 'taskname') },
      '/api/task/timeout/{taskname}': { post: operation("set a task's time limits on a worker", [['soft', 'number', 'soft limit (s)'], ['hard', 'number', 'hard limit (s)'], ['workername', 'string', 'worker', true]], json(ref('Message')), { 403: text('refused'), 404: text('unknown task or worker'), 504: text('no reply') }, 'taskname') },
      '/api/queues/length': { get: operation('messages waiting per queue', [], json({ type: 'object', properties: { active_queues: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, messages: { type: 'integer' } } } } } })) },
      '/api/ui/tasks': { get: operation('a page of tasks with the total matching', listing, json({ type: 'object', properties: { total: { type: 'integer' }, tasks: { type: 'array', items: ref('Task') } } })) },
      '/api/ui/task/{taskid}': { get: operation('a task with its events and children', [], json({ type: 'object' }), { 404: text('unknown task') }, 'taskid') },
      '/api/ui/task/retry/{taskid}': { post: operation('send a task again with the arguments its events carried', [['queue', 'string', 'queue (default: the one it was sent to, when known)']], json(ref('Applied')), { 404: text('unknown task'), 409: text('arguments cannot be read back') }, 'taskid') },
      '/api/ui/workers': { get: operation('workers with their last heartbeat and inspect info', [], json({ type: 'array' })) },
      '/api/ui/stream': { get: operation('server-sent events after each recorded batch', [], { description: 'text/event-stream' }) },
      '/api/ui/queues': { get: operation("queues with their length and the workers consuming them (the workers' queues and the app's own)", [], json({ type: 'array', items: ref('QueueView') }), { 503: text('broker unreachable') }) },
      '/api/ui/task/{taskid}/graph': { get: operation('the canvas graph (chain, group, chord) of a task, laid out in layers', [], json(ref('CanvasGraph')), { 404: text('unknown task') }, 'taskid') },
      '/api/ui/beat': { get: operation("the app's beat_schedule with the runs cq beat recorded", [], json(ref('BeatSchedule'))) },
      '/api/stats/throughput': {
        get: operation('task events per interval (received, succeeded, failed, retried, revoked, rejected), by arrival time', [
          ['interval', 'number', 'bucket width in seconds (60)'], ['since', 'number', 'start, Unix seconds, rounded down to a multiple of interval (default: the 60 buckets up to until)'],
          ['until', 'number', 'end (exclusive), Unix seconds (default: now)'],
        ], json(ref('Throughput')), { 400: text('bad interval or window (at most 1440 buckets)') }),
      },
      '/api/stats/tasks': { get: operation('stored tasks by state', [], json({ type: 'object', properties: { states: { type: 'object', additionalProperties: { type: 'integer' } }, total: { type: 'integer' } } })) },
    },
  };
}
