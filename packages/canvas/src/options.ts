/**
 * Signature options as they travel (Celery's `apply_async` keyword names, snake_case) and their
 * camelCase counterparts in the app's {@link ApplyOptions}. A signature keeps the snake_case dict so
 * `toDict()` is what Python Celery sends; `applyAsync` converts it back for `app.sendTask`.
 * Keys without a counterpart are kept in the dict and ignored when sending.
 */
import type { ApplyOptions, SignatureDict } from '@cq/app';

/** The options dict of a signature: Celery `Signature.options`, e.g. `{task_id, reply_to, queue, link}`. */
export type SignatureOptions = Record<string, unknown>;

/** camelCase ApplyOptions key → snake_case signature option (Celery `apply_async` argument). */
const CAMEL_TO_SNAKE: Record<string, string> = {
  kwargs: 'kwargs', countdown: 'countdown', eta: 'eta', expires: 'expires', queue: 'queue', exchange: 'exchange',
  routingKey: 'routing_key', priority: 'priority', headers: 'headers', taskId: 'task_id', ignoreResult: 'ignore_result',
  serializer: 'serializer', compression: 'compression', timeLimit: 'time_limit', softTimeLimit: 'soft_time_limit',
  shadow: 'shadow', parentId: 'parent_id', rootId: 'root_id', retries: 'retries', replyTo: 'reply_to',
  groupId: 'group_id', groupIndex: 'group_index', link: 'link', linkError: 'link_error', chain: 'chain', chord: 'chord',
  replacedTaskNesting: 'replaced_task_nesting', addToParent: 'add_to_parent',
  // cq's enqueue-time deduplication (@cq/app deduplication.ts); Python Celery ignores these options.
  deduplicationId: 'deduplication_id', deduplicationTtl: 'deduplication_ttl', deduplicationMode: 'deduplication_mode',
};
const SNAKE_TO_CAMEL: Record<string, string> = Object.fromEntries(Object.entries(CAMEL_TO_SNAKE).map(([c, s]) => [s, c]));

/**
 * `{ transaction }` when `options` carries the caller's database client, else `{}`: spread into the
 * options of every message one `applyAsync` sends, so they all go through that client's transaction.
 */
export function inTransaction(options: ApplyOptions): Pick<ApplyOptions, 'transaction'> {
  return options.transaction ? { transaction: options.transaction } : {};
}

/** Anything with `toDict()`, i.e. a Signature; kept structural so this module imports no class. */
interface HasToDict {
  toDict(): SignatureDict;
}

function isHasToDict(value: unknown): value is HasToDict {
  return typeof value === 'object' && value !== null && typeof (value as HasToDict).toDict === 'function';
}

/** A signature, its dict, or a list of either, as a list of dicts (Celery `maybe_list` + dict form). */
export function signatureList(value: unknown): SignatureDict[] | null {
  if (value === null || value === undefined) return null;
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => (isHasToDict(item) ? item.toDict() : item as SignatureDict));
}

/**
 * ApplyOptions (camelCase) → signature options (snake_case); undefined values are dropped, and so is
 * `transaction` (a database client is not part of a signature: `applyAsync` passes it on by hand).
 */
export function toSignatureOptions(options: ApplyOptions | SignatureOptions): SignatureOptions {
  const out: SignatureOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'kwargs' || key === 'transaction') continue;
    const snake = CAMEL_TO_SNAKE[key] ?? key;
    out[snake] = snake === 'link' || snake === 'link_error' || snake === 'chain' ? signatureList(value)
      : snake === 'chord' && isHasToDict(value) ? value.toDict() : value;
  }
  return out;
}

/**
 * Signature options (snake_case) → ApplyOptions for `app.sendTask`. `link`/`link_error` may be one
 * signature or a list (Celery accepts both); `exchange` may be a name or a dict with `name`. Null
 * values and unknown keys are dropped.
 */
export function toApplyOptions(options: SignatureOptions): ApplyOptions {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    const camel = SNAKE_TO_CAMEL[key];
    if (camel === undefined || value === null || value === undefined) continue;
    if (camel === 'link' || camel === 'linkError' || camel === 'chain') out[camel] = signatureList(value);
    else if (camel === 'chord') out[camel] = isHasToDict(value) ? value.toDict() : value;
    else if (camel === 'exchange' && typeof value === 'object') out[camel] = (value as { name?: string }).name ?? '';
    else out[camel] = value;
  }
  return out;
}
