/**
 * Reading an HTTP task's answer. `response` chooses what a JSON answer means:
 *
 * - `'auto'` (default): Celery 3's envelope is unwrapped when the answer is one — an object whose
 *   `status` is `"success"` and that has `retval` (the task returns `retval`), or whose `status` is
 *   `"failure"` (the task fails with RemoteExecuteError(`reason`)); any other JSON is returned as it
 *   is, and an empty body (204, HEAD) gives null.
 * - `'envelope'`: Celery 3 exactly (`celery.task.http.extract_response`): the answer must be the
 *   envelope; an empty body is InvalidResponseError('Empty response'), another status is
 *   UnknownStatusError.
 * - `'json'`: the JSON as it is, never unwrapped; an empty body gives null.
 *
 * A body that is not JSON is InvalidResponseError in every mode; one larger than `maxBytes` too.
 */
import { InvalidResponseError, RemoteExecuteError, UnknownStatusError } from './errors.js';

export type ResponseMode = 'auto' | 'envelope' | 'json';

/** Reads at most `maxBytes` of `response`'s body as UTF-8 text. */
export async function readBody(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new InvalidResponseError(`the answer is larger than ${maxBytes} bytes (maxResponseBytes)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isEnvelope(value: unknown): value is { status: unknown; retval?: unknown; reason?: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'status' in value;
}

/**
 * What the task returns for the answer's `body` text.
 * @throws InvalidResponseError, UnknownStatusError, RemoteExecuteError as the module doc says.
 */
export function interpretBody(body: string, mode: ResponseMode): unknown {
  if (body.trim() === '') {
    if (mode === 'envelope') throw new InvalidResponseError('Empty response');
    return null;
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch (error) {
    throw new InvalidResponseError(`the answer is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (mode === 'json') return payload;
  if (mode === 'envelope') {
    const status = isEnvelope(payload) ? payload.status : undefined;
    if (status === 'success') return (payload as { retval?: unknown }).retval ?? null;
    if (status === 'failure') throw new RemoteExecuteError((payload as { reason?: unknown }).reason ?? null);
    throw new UnknownStatusError(String(status === undefined ? 'None' : typeof status === 'string' ? status : JSON.stringify(status)));
  }
  if (isEnvelope(payload)) {
    if (payload.status === 'success' && 'retval' in payload) return payload.retval;
    if (payload.status === 'failure') throw new RemoteExecuteError(payload.reason ?? null);
  }
  return payload;
}
