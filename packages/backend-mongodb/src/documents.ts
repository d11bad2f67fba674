/**
 * The documents of Celery's MongoBackend (`celery/backends/mongodb.py`), built and read here and
 * nowhere else. Pure.
 *
 * Task (`celery_taskmeta`, Celery `_store_result`): the meta of `_get_result_meta(…, format_date=False)`
 * plus `_id`, in Celery's key order —
 * `{status, result, traceback, children, date_done, [group_id], [parent_id], [name, args, kwargs,
 * worker, retries, queue (result_extended)], [stamped_headers, <stamps> (Celery ≥ 5.3)], _id: <task id>}`.
 * `result` is the result serializer's output as Celery's `MongoBackend.encode` leaves it: the text
 * for json and yaml (a BSON string), a BSON Binary for pickle and msgpack; `date_done` a BSON date
 * (Celery ≥ 5.3; 5.2 wrote the naive ISO text, which is read too), null until the task is ready;
 * `traceback` a string or null; `children`, `args`, `kwargs` plain BSON values.
 *
 * Group (`celery_groupmeta`, Celery `_save_group`): `{_id: <group id>, result: <serialized list of the
 * children's ids>, date_done: <BSON date>}`. Celery stores the ids only, and `_restore_group` makes
 * `AsyncResult`s of them; here they come back as the group's result tuple.
 */
import type { ResultTuple, TaskMeta } from '@cq/backend';
import { Binary } from 'mongodb';
import { fromBson, toBson } from './bson-values.js';

/** A document of the task collection. */
export interface TaskDocument {
  _id: string;
  status: string;
  /** The serialized result: text (json, yaml) or Binary (pickle, msgpack); a plain value from a `bson` writer. */
  result: unknown;
  traceback: string | null;
  children: unknown;
  /** BSON date (Celery ≥ 5.3, cq), naive ISO text (Celery 5.2), null while not ready. */
  date_done: Date | string | null;
  [field: string]: unknown;
}

/** A document of the group collection. */
export interface GroupDocument {
  _id: string;
  /** The serialized list of the children's task ids. */
  result: unknown;
  date_done: Date | string | null;
}

/**
 * Celery `MongoBackend.encode` of serialized `bytes`: the text for a text serializer (json, yaml), a
 * Binary for a binary one (`contentEncoding` `binary`: pickle, msgpack).
 */
export function storedValue(bytes: Buffer, contentEncoding: string): string | Binary {
  return contentEncoding === 'binary' ? new Binary(bytes) : bytes.toString('utf8');
}

/**
 * Celery `MongoBackend.decode` of a stored `result`: text and bytes go through `decode` (the result
 * serializer); a plain BSON value (a `bson` writer's) is taken as it is; null stays null.
 */
export function readStoredValue(value: unknown, decode: (payload: Buffer | string) => unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return decode(value);
  if (value instanceof Binary) return decode(Buffer.from(value.buffer));
  return fromBson(value);
}

/** The fields `result_extended` adds (Celery `_get_result_meta`), read back only with `result_extended`. */
const EXTENDED_FIELDS = ['name', 'args', 'kwargs', 'worker', 'retries', 'queue'] as const;

/**
 * Celery `_store_result`'s document for `meta` (the base's meta, result already encoded by
 * `encodeResult`), with `storedResult` (the serialized result) in place of its result.
 * @throws MongoBackendEncodeError for a plain field BSON cannot hold.
 */
export function taskDocument(meta: TaskMeta, storedResult: unknown, parseDate: (text: string) => Date): TaskDocument {
  const doc: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) {
    if (key === 'task_id') continue;
    if (key === 'result') doc[key] = storedResult;
    else if (key === 'date_done') doc[key] = typeof value === 'string' ? parseDate(value) : null;
    else if (key === 'status' || key === 'traceback') doc[key] = value ?? null;
    else doc[key] = toBson(value, key);
  }
  doc._id = meta.task_id;
  return doc as TaskDocument;
}

/**
 * Celery `_get_task_meta_for`: the meta of a stored document. `decodeResult` reverses the result
 * serializer; `formatDate` writes a BSON date as the base writes `date_done`. The extended fields are
 * read with `extended` only, as Celery reads them with `result_extended` only; `group_id` and
 * `parent_id` are read when stored (Celery stores them and leaves them out of its read).
 */
export function metaFromDocument(doc: TaskDocument, decodeResult: (stored: unknown) => unknown, extended: boolean, formatDate: (date: Date) => string): TaskMeta {
  const meta: Record<string, unknown> = {
    status: doc.status,
    result: decodeResult(doc.result),
    traceback: doc.traceback ?? null,
    children: fromBson(doc.children) ?? [],
    date_done: doc.date_done instanceof Date ? formatDate(doc.date_done) : (doc.date_done ?? null),
  };
  if (typeof doc['group_id'] === 'string') meta.group_id = doc['group_id'];
  if (typeof doc['parent_id'] === 'string') meta.parent_id = doc['parent_id'];
  if (extended) {
    for (const field of EXTENDED_FIELDS) if (field in doc) meta[field] = fromBson(doc[field]);
    const stamped = doc['stamped_headers'];
    if (Array.isArray(stamped)) {
      meta.stamped_headers = stamped;
      for (const name of stamped) if (typeof name === 'string' && name in doc) meta[name] = fromBson(doc[name]);
    }
  }
  meta.task_id = String(doc._id);
  return meta as unknown as TaskMeta;
}

/** The children's task ids of a group result tuple `[[groupId, parent], [child tuples]]` (Celery `[i.id for i in result]`). */
export function groupChildIds(result: unknown): string[] {
  const children = Array.isArray(result) && Array.isArray(result[1]) ? (result[1] as unknown[]) : Array.isArray(result) ? result : [];
  return children.map((child) => (Array.isArray(child) && Array.isArray(child[0]) ? String(child[0][0]) : String(child)));
}

/** Celery `_save_group`'s document: `storedIds` is the serialized list of the children's ids. */
export function groupDocument(groupId: string, storedIds: unknown, now: Date): GroupDocument {
  return { _id: groupId, result: storedIds, date_done: now };
}

/** The group result tuple of saved children ids, as Celery's `_restore_group` makes an `AsyncResult` of each. */
export function groupTuple(groupId: string, ids: unknown): ResultTuple {
  const list = Array.isArray(ids) ? ids.map(String) : [];
  return [[groupId, null], list.map((id): ResultTuple => [[id, null], null])];
}
