/**
 * The `SendMessage` request for an envelope, as kombu's `Channel._put` builds it (5.2, and 5.6's
 * additions), plus cq's countdown/ETA mapping:
 *
 * - FIFO queue (`.fifo`): `MessageGroupId` from the message property `MessageGroupId`, else the
 *   header of that name (cq's: `applyAsync(…, { headers: { MessageGroupId } })`), else `'default'`;
 *   `MessageDeduplicationId` likewise, else a fresh uuid4 (every send is a new message, as kombu).
 * - standard queue: a `MessageGroupId` given that way is sent too (SQS fair queues; kombu 5.6).
 *   `DelaySeconds` from the message property `DelaySeconds` (kombu 5.6), else from the task's
 *   `eta` header (countdown/ETA) when it is due within 15 minutes (SQS's most): the message becomes
 *   visible when due, instead of being held by the worker. A later ETA is sent at once and held by
 *   the worker, as Celery does; FIFO queues take no per-message delay (an SQS rule).
 * - `message_attributes` in the properties (kombu 5.6) become SQS `MessageAttributes` and leave
 *   the body.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue, SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { parseIsoDate, type Envelope } from '@cq/kombu';
import { encodeBody } from './body.js';

/** SQS's longest per-message delay, in seconds (15 minutes). */
export const MAX_DELAY_SECONDS = 900;

/** Builds the `SendMessage` input for `envelope` on queue `url`. `now` in ms, for tests. */
export function sendMessageInput(url: string, fifo: boolean, envelope: Envelope, base64: boolean, now = Date.now()): SendMessageCommandInput {
  const { message_attributes: attributes, ...properties } = envelope.properties;
  const headers = envelope.headers ?? {};
  const pick = (key: string): string | undefined => {
    const value = properties[key] ?? headers[key];
    return value === undefined || value === null || value === '' ? undefined : String(value);
  };
  const input: SendMessageCommandInput = {
    QueueUrl: url,
    MessageBody: encodeBody(attributes === undefined ? envelope : { ...envelope, properties }, base64),
  };
  if (attributes && typeof attributes === 'object') input.MessageAttributes = attributes as Record<string, MessageAttributeValue>;
  const group = pick('MessageGroupId');
  if (group !== undefined) input.MessageGroupId = group;
  if (fifo) {
    input.MessageGroupId ??= 'default';
    input.MessageDeduplicationId = pick('MessageDeduplicationId') ?? randomUUID();
  } else {
    const delay = properties['DelaySeconds'] !== undefined ? Number(properties['DelaySeconds']) : etaDelaySeconds(headers['eta'], now);
    if (Number.isFinite(delay) && delay > 0) input.DelaySeconds = Math.min(Math.trunc(delay), MAX_DELAY_SECONDS);
  }
  return input;
}

/**
 * Whole seconds until the `eta` header (ISO 8601, as Celery writes it) when that is within 15
 * minutes; 0 when there is none, it is past, later than 15 minutes, or unreadable (the worker then
 * deals with it, as Celery's does). Rounded down: the message may come up to a second early, and the
 * worker holds it for the rest.
 */
export function etaDelaySeconds(eta: unknown, now = Date.now()): number {
  if (typeof eta !== 'string' || eta === '') return 0;
  let at: number;
  try {
    at = parseIsoDate(eta).getTime();
  } catch {
    return 0;
  }
  const seconds = Math.floor((at - now) / 1000);
  return Number.isFinite(seconds) && seconds > 0 && seconds <= MAX_DELAY_SECONDS ? seconds : 0;
}
