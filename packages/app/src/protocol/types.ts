/**
 * Shapes of Celery task messages (protocol v2, spec/protocol.md) as plain objects, before the
 * body is serialized and compressed by the Producer and after a consumer has decoded it.
 */

/**
 * A signature as it travels inside a message (`celery.canvas.Signature` as a dict, Celery ≥ 5.1).
 * Readers tolerate extra keys such as the legacy `chord_size` (Celery ≤ 5.0).
 */
export interface SignatureDict {
  /** Task name; `celery.chain`, `celery.group`, `celery.chord` for composites. */
  task: string;
  /** Partial positional args (the parent's result is prepended unless `immutable`). */
  args: unknown[];
  kwargs: Record<string, unknown>;
  /** apply_async options, e.g. `task_id`, `reply_to`, `queue`, `link`. */
  options: Record<string, unknown>;
  /** `null` for a plain task; `chain`, `group`, `chord`, `xmap`, `xstarmap`, `chunks`. */
  subtask_type: string | null;
  immutable: boolean;
  chord_size?: number | null;
  [k: string]: unknown;
}

/** The third element of a v2 body. Python always writes all four keys, usually `null`. */
export interface TaskEmbed {
  /** `link` signatures, applied with the result on success. */
  callbacks: SignatureDict[] | null;
  /** `link_error` signatures, applied on failure. */
  errbacks: SignatureDict[] | null;
  /** Remaining chain, **reversed**: the next task to run is the last element. */
  chain: SignatureDict[] | null;
  /** The chord body, for chord header members. */
  chord: SignatureDict | null;
}

/**
 * Protocol v2 headers as Python Celery ≥ 5.3 writes them (5.2 omits the last three). Dates are
 * ISO-8601 strings (`2026-01-02T03:04:05.678901+00:00`); `timelimit` is `[hard, soft]` in seconds.
 */
export interface TaskHeaders {
  lang: string;
  task: string;
  id: string;
  root_id: string | null;
  parent_id: string | null;
  group: string | null;
  group_index: number | null;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  retries: number;
  timelimit: [number | null, number | null];
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  replaced_task_nesting: number;
  stamped_headers: string[] | null;
  stamps: Record<string, unknown>;
  [extra: string]: unknown;
}

/** Broker-level properties of a task message (content type/encoding are the Producer's business). */
export interface TaskProperties {
  /** The task id (the rpc backend matches replies on it). */
  correlation_id: string;
  /** Reply queue of the client (`''` when none). */
  reply_to: string;
  /** 2 = persistent (Celery `task_default_delivery_mode`), 1 = transient. */
  delivery_mode: number;
  /** 0 unless given. */
  priority: number;
  /** Only when `expires` is given: integer milliseconds until expiry, as a string (AMQP TTL). */
  expiration?: string;
}

/** The body before serialization: `[args, kwargs, embed]`. */
export type TaskBody = [unknown[], Record<string, unknown>, TaskEmbed];

/** Everything needed to publish a task, with the body still a plain value. */
export interface TaskMessageParts {
  headers: TaskHeaders;
  properties: TaskProperties;
  body: TaskBody;
}

/**
 * Options of `buildTaskMessage`, named after `Task.apply_async`/`app.send_task` arguments.
 * Every field defaults as Celery does; seconds are seconds, never milliseconds.
 */
export interface BuildTaskOptions {
  /** Registered task name (header `task`). */
  name: string;
  /** Task id (uuid4 string); also `correlation_id` and the default `root_id`. */
  id: string;
  /** Positional args; default `[]`. */
  args?: unknown[];
  /** Keyword args; default `{}`. */
  kwargs?: Record<string, unknown>;
  /** Seconds from `now` until the task may run; sets `eta`, wins over `eta`. 0 means none. */
  countdown?: number;
  /** Earliest run time. A string is sent as is (as Celery does on retries). */
  eta?: Date | string;
  /**
   * Expiry: seconds from `now`, an absolute Date, or an ISO string sent as is. Also sets the
   * `expiration` property (ms until expiry, clamped at 0).
   */
  expires?: number | Date | string;
  /** Retry count; default 0. */
  retries?: number;
  /** Hard time limit in seconds (header `timelimit[0]`); default null = worker default. */
  timeLimit?: number | null;
  /** Soft time limit in seconds (header `timelimit[1]`); default null. */
  softTimeLimit?: number | null;
  /** Group id for group/chord members. */
  group?: string | null;
  /** Position inside the group (Redis chord ZSET score). */
  groupIndex?: number | null;
  /** Id of the task that sent this one; default null. */
  parentId?: string | null;
  /** Id of the first task of the workflow; default (and when empty) the task's own id. */
  rootId?: string | null;
  /** Display name used in logs instead of `name`. */
  shadow?: string | null;
  /** `link`: signatures applied with the result on success. */
  callbacks?: SignatureDict[] | null;
  /** `link_error`: signatures applied on failure. */
  errbacks?: SignatureDict[] | null;
  /** Remaining chain, already reversed (next task last). */
  chain?: SignatureDict[] | null;
  /** Chord body, for chord header members. */
  chord?: SignatureDict | null;
  /** Reply queue; default `''` (the app fills in its oid). */
  replyTo?: string;
  /** Message priority; default 0. */
  priority?: number;
  /** 2 (persistent, default) or 1. */
  deliveryMode?: number;
  /** Ask the worker not to store a result; default false. */
  ignoreResult?: boolean;
  /** Producer node name; default `gen<pid>@<hostname>`. */
  origin?: string;
  /** Replaces the computed `argsrepr` (Celery's `argsrepr` option, e.g. to hide secrets). */
  argsrepr?: string;
  /** Replaces the computed `kwargsrepr`. */
  kwargsrepr?: string;
  /** `replaced_task_nesting` header (Task.replace depth); default 0. */
  replacedTaskNesting?: number;
  /** `stamped_headers` header; default null. */
  stampedHeaders?: string[] | null;
  /** `stamps` header; default `{}`. */
  stamps?: Record<string, unknown>;
  /** Extra headers merged last, over the built ones (Celery's `headers` option). */
  headers?: Record<string, unknown>;
  /** Clock for countdown/expires; default `new Date()`. */
  now?: Date;
}

/**
 * The request a worker runs, decoded from a v2, v1 or hybrid message. Field names are
 * camelCase; `headers` keeps the message headers exactly as received.
 */
export interface TaskRequestFields {
  name: string;
  id: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  embed: TaskEmbed;
  /** Parsed `eta`; null when absent. Naive strings are read as UTC (v1 `utc: false`: local time). */
  eta: Date | null;
  expires: Date | null;
  retries: number;
  /** `[hard, soft]` seconds. */
  timeLimit: [number | null, number | null];
  rootId: string | null;
  parentId: string | null;
  group: string | null;
  groupIndex: number | null;
  shadow: string | null;
  ignoreResult: boolean;
  /** Property `reply_to`; null when absent or empty. */
  replyTo: string | null;
  /** Property `correlation_id`, else the task id. */
  correlationId: string;
  origin: string | null;
  argsrepr: string;
  kwargsrepr: string;
  /** All headers as received. */
  headers: Record<string, unknown>;
  /** 2 for v2 and hybrid messages, 1 for v1 bodies. */
  protocol: 1 | 2;
}
