/**
 * The body of Flower's apply endpoints, `{"args": [...], "kwargs": {...}, ...options}`, read into
 * cq's `ApplyOptions`. Options take Celery's `apply_async` names: `countdown` (s), `eta`
 * (`YYYY-MM-DD HH:MM:SS.ffffff` as Flower, or ISO 8601; a time without zone is UTC), `expires`
 * (seconds from now, or a date as `eta`), `queue`, `exchange`, `routing_key`, `priority`, `task_id`,
 * `headers`, `ignore_result`, `serializer`, `compression`, `time_limit`, `soft_time_limit`, `shadow`,
 * `retries`. Others are ignored, as `apply_async` ignores what it does not know.
 */
import type { ApplyOptions } from '@cq/celery';
import { ApiError } from './errors.js';

export interface ApplyRequest {
  args: unknown[];
  kwargs: Record<string, unknown>;
  options: ApplyOptions;
}

function date(value: unknown): Date {
  const text = String(value).trim();
  const flower = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)$/.exec(text);
  const iso = flower ? `${flower[1]}T${flower[2]}Z` : /(Z|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new ApiError(400, 'Invalid option');
  return d;
}

function number(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new ApiError(400, 'Invalid option');
  return n;
}

/** Reads an apply body. @throws ApiError 400 (Flower's messages) for a non-object body, non-array args or a bad option. */
export function readApplyRequest(body: unknown): ApplyRequest {
  const given = body === undefined || body === null || body === '' ? {} : body;
  if (typeof given !== 'object' || Array.isArray(given)) throw new ApiError(400, 'invalid options');
  const { args = [], kwargs = {}, ...rest } = given as Record<string, unknown>;
  if (!Array.isArray(args)) throw new ApiError(400, 'args must be an array');
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new ApiError(400, 'kwargs must be an object');
  const options: ApplyOptions = {};
  const str = (v: unknown): string => String(v);
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined || value === null) continue;
    switch (key) {
      case 'countdown': options.countdown = number(value); break;
      case 'eta': options.eta = date(value); break;
      case 'expires': options.expires = typeof value === 'number' || /^[\d.]+$/.test(String(value)) ? number(value) : date(value); break;
      case 'queue': options.queue = str(value); break;
      case 'exchange': options.exchange = str(value); break;
      case 'routing_key': options.routingKey = str(value); break;
      case 'priority': options.priority = number(value); break;
      case 'task_id': options.taskId = str(value); break;
      case 'headers': if (typeof value === 'object') options.headers = value as Record<string, unknown>; break;
      case 'ignore_result': options.ignoreResult = Boolean(value); break;
      case 'serializer': options.serializer = str(value); break;
      case 'compression': options.compression = str(value); break;
      case 'time_limit': options.timeLimit = number(value); break;
      case 'soft_time_limit': options.softTimeLimit = number(value); break;
      case 'shadow': options.shadow = str(value); break;
      case 'retries': options.retries = number(value); break;
      default: break;
    }
  }
  return { args, kwargs: kwargs as Record<string, unknown>, options: { ...options, kwargs: kwargs as Record<string, unknown> } };
}
