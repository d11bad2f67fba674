/**
 * Wire compatibility with kombu's SQS transport, checked against what Debian's kombu 5.2.4 itself
 * produced (`fixtures/kombu_sqs_golden.py` ran its `Channel._put` and `entity_name`): queue names,
 * the SendMessage body byte for byte, FIFO group and deduplication ids; and the reading side, for
 * base64 and plain JSON bodies and bodies kombu did not write.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromEnvelope, type Envelope } from '@cq/kombu';
import { decodeBody, encodeBody, entityName, etaDelaySeconds, sendMessageInput } from '../src/index.js';

interface Golden {
  names: Record<string, string>;
  fifo: { QueueUrl: string; MessageBody: string; MessageGroupId: string };
  fifo_dedup_len: number;
  standard: { QueueUrl: string; MessageBody: string };
  envelope: Envelope;
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/kombu-sqs-golden.json', import.meta.url), 'utf8')) as Golden;

describe('kombu SQS wire format', () => {
  it('translates queue names exactly as kombu does', () => {
    for (const [name, sqs] of Object.entries(golden.names)) expect(entityName(name), name).toBe(sqs);
  });

  it('encodes the envelope to the very bytes kombu sends, and decodes them back', () => {
    expect(encodeBody(golden.envelope)).toBe(golden.standard.MessageBody);
    expect(decodeBody(golden.standard.MessageBody)).toEqual(golden.envelope);
    const d = fromEnvelope(decodeBody(golden.fifo.MessageBody), '1', 'orders.v2.fifo');
    expect(d.body.toString()).toBe('{"a": 1}');
    expect(d.headers['argsrepr']).toBe("('ünï', 'a/b\\n')");
    expect(d.properties.correlation_id).toBe('abc');
    expect(d.deliveryInfo.routing_key).toBe('orders.v2.fifo');
  });

  it('sends FIFO messages with the group from the properties and a fresh uuid dedup id, as kombu', () => {
    const input = sendMessageInput(golden.fifo.QueueUrl, true, golden.envelope, true);
    expect(input.MessageBody).toBe(golden.fifo.MessageBody);
    expect(input.MessageGroupId).toBe('g1');
    expect(input.MessageDeduplicationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(input.MessageDeduplicationId).toHaveLength(golden.fifo_dedup_len);
    expect(sendMessageInput('u', true, golden.envelope, true).MessageDeduplicationId).not.toBe(input.MessageDeduplicationId);
    const bare = { ...golden.envelope, properties: { ...golden.envelope.properties, MessageGroupId: undefined } } as Envelope;
    expect(sendMessageInput('u', true, bare, true).MessageGroupId).toBe('default');
    // cq's way to set them from applyAsync: headers.
    const viaHeaders = { ...bare, headers: { ...bare.headers, MessageGroupId: 'h1', MessageDeduplicationId: 'd1' } };
    expect(sendMessageInput('u', true, viaHeaders, true)).toMatchObject({ MessageGroupId: 'h1', MessageDeduplicationId: 'd1' });
  });

  it('reads plain JSON bodies and wraps foreign ones as kombu does', () => {
    const plain = encodeBody(golden.envelope, false);
    expect(plain.startsWith('{"body": "eyJhIjogMX0=", "content-encoding": "utf-8"')).toBe(true);
    expect(decodeBody(plain)).toEqual(golden.envelope);
    const foreign = fromEnvelope(decodeBody('{"hello": "world"}'), '1', 'q');
    expect(foreign.body.toString()).toBe('{"hello": "world"}');
    expect(foreign.contentType).toBe('application/json');
    expect(foreign.headers).toEqual({});
    expect(fromEnvelope(decodeBody('not json at all'), '1', 'q').body.toString()).toBe('not json at all');
    expect(fromEnvelope(decodeBody(Buffer.from('[1, 2]').toString('base64')), '1', 'q').body.toString()).toBe('[1, 2]');
  });

  it('turns a countdown within 15 minutes into DelaySeconds, and leaves later ETAs to the worker', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const withEta = (eta: string | null): Envelope => ({ ...golden.envelope, headers: { ...golden.envelope.headers, eta } });
    expect(sendMessageInput('u', false, withEta('2025-01-01T00:00:30.500000+00:00'), true, now).DelaySeconds).toBe(30);
    expect(sendMessageInput('u', false, withEta('2025-01-01T00:15:00+00:00'), true, now).DelaySeconds).toBe(900);
    expect(sendMessageInput('u', false, withEta('2025-01-01T00:15:01+00:00'), true, now).DelaySeconds).toBeUndefined();
    expect(sendMessageInput('u', false, withEta('2024-12-31T23:59:00+00:00'), true, now).DelaySeconds).toBeUndefined();
    expect(sendMessageInput('u', false, withEta(null), true, now).DelaySeconds).toBeUndefined();
    expect(sendMessageInput('u', true, withEta('2025-01-01T00:00:30+00:00'), true, now).DelaySeconds).toBeUndefined(); // FIFO: no per-message delay
    expect(etaDelaySeconds('garbage', now)).toBe(0);
    const explicit = { ...golden.envelope, properties: { ...golden.envelope.properties, DelaySeconds: 7 } } as Envelope;
    expect(sendMessageInput('u', false, explicit, true, now).DelaySeconds).toBe(7);
  });

  it('sends message_attributes as SQS attributes, outside the body (kombu 5.6)', () => {
    const attrs = { trace: { DataType: 'String', StringValue: 't-1' } };
    const env = { ...golden.envelope, properties: { ...golden.envelope.properties, message_attributes: attrs } } as Envelope;
    const input = sendMessageInput('u', false, env, true);
    expect(input.MessageAttributes).toEqual(attrs);
    expect(input.MessageBody).toBe(golden.standard.MessageBody);
  });
});
