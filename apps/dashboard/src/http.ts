/**
 * Reading request arguments as Flower (Tornado's `get_argument`) does: from the query string or the
 * body (form-encoded or a JSON object), the body winning; booleans by Python's `strtobool`; a value
 * of the wrong type is a 400 naming it.
 */
import type { FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';

/** The argument's text, or undefined when absent. */
export function argument(request: FastifyRequest, name: string): string | undefined {
  const body = request.body;
  const fromBody = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
  const value = fromBody ?? (request.query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined || value === null) return undefined;
  const one: unknown = Array.isArray(value) ? (value as unknown[])[value.length - 1] : value;
  return typeof one === 'string' ? one.trim() : JSON.stringify(one);
}

/** A required argument. @throws ApiError 400 when it is missing. */
export function requiredArgument(request: FastifyRequest, name: string): string {
  const value = argument(request, name);
  if (value === undefined) throw new ApiError(400, `Missing argument ${name}`);
  return value;
}

const TRUE = new Set(['y', 'yes', 't', 'true', 'on', '1']);
const FALSE = new Set(['n', 'no', 'f', 'false', 'off', '0']);

/** A boolean argument (Python `strtobool`). @throws ApiError 400 for another word. */
export function boolArgument(request: FastifyRequest, name: string, fallback = false): boolean {
  const value = argument(request, name);
  if (value === undefined) return fallback;
  const word = value.toLowerCase();
  if (TRUE.has(word)) return true;
  if (FALSE.has(word)) return false;
  throw new ApiError(400, `Invalid argument '${value}' of type 'bool'`);
}

/** A number argument (`int` rejects fractions). @throws ApiError 400 when it is not one. */
export function numberArgument(request: FastifyRequest, name: string, type: 'int' | 'float'): number | undefined {
  const value = argument(request, name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (type === 'int' && !Number.isInteger(n))) throw new ApiError(400, `Invalid argument '${value}' of type '${type}'`);
  return n;
}

/** `YYYY-MM-DD HH:MM` in local time (Flower's `received_start`/`received_end`) as Unix seconds. */
export function localMinuteArgument(request: FastifyRequest, name: string): number | undefined {
  const value = argument(request, name);
  if (!value) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$/.exec(value);
  if (!m) throw new ApiError(400, `Invalid argument '${value}': expected YYYY-MM-DD HH:MM`);
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi).getTime() / 1000;
}
