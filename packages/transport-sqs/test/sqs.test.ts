/**
 * The SQS transport against fauxqs (started on a free port): the plugin and its registry hint; queue
 * names and creation (looked up first, kombu's attributes); the body on the wire; plain JSON bodies;
 * FIFO groups in order; countdowns as DelaySeconds; acks and requeues in batches of at most 10;
 * long polling; the visibility refresh of held messages; predefined queues; and errors that never
 * print the secret key.
 */
import {
  CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError, Connection, TransportNotFoundError, TransportRegistry, type Channel, type Delivery, type RawMessage } from '@cq/kombu';
import { waitUntil } from '@cq/kombu/testing';
import { freePort, startSqsEmulator, type SqsEmulator } from '@cq/tooling/testing';
import { SqsUndefinedQueueError, sqsTransport, type SqsTransport, type SqsTransportOptions } from '../src/index.js';

const transports = new TransportRegistry();
sqsTransport().install({ transports });
let emulator: SqsEmulator;
let raw: SQSClient;
const open: Connection[] = [];
beforeAll(async () => {
  emulator = await startSqsEmulator();
  raw = new SQSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
});
afterAll(async () => {
  for (const conn of open.splice(0)) await conn.close().catch(() => undefined);
  raw?.destroy();
  await emulator?.stop();
});

async function connect(options: SqsTransportOptions = {}): Promise<{ conn: Connection; channel: Channel; transport: SqsTransport }> {
  const conn = new Connection(`sqs://key:secret@127.0.0.1:${emulator.port}`, { transports, transportOptions: { region: 'us-east-1', wait_time_seconds: 1, ...options } });
  await conn.connect();
  open.push(conn);
  return { conn, channel: await conn.channel(), transport: conn.transport as SqsTransport };
}

/** Records the SQS commands (and inputs) a transport's default client sends. */
function recordCommands(transport: SqsTransport): Array<{ command: string; input: Record<string, unknown> }> {
  const calls: Array<{ command: string; input: Record<string, unknown> }> = [];
  transport.queues.client.middlewareStack.add((next, context) => async (args) => {
    calls.push({ command: String(context.commandName), input: args.input as Record<string, unknown> });
    return next(args);
  }, { step: 'initialize', name: `record-${Math.random()}` });
  return calls;
}

const msg = (text: string, extra: Partial<RawMessage> = {}): RawMessage => ({
  body: Buffer.from(text), contentType: 'text/plain', contentEncoding: 'utf-8', headers: {}, properties: {}, ...extra,
});
const queueUrl = async (name: string) => (await raw.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl!;
const attribute = async (name: string, attr: 'VisibilityTimeout' | 'ApproximateNumberOfMessages' | 'ApproximateNumberOfMessagesDelayed' | 'ApproximateNumberOfMessagesNotVisible' | 'FifoQueue') =>
  (await raw.send(new GetQueueAttributesCommand({ QueueUrl: await queueUrl(name), AttributeNames: [attr] }))).Attributes?.[attr];

describe('sqs transport', () => {
  it('is found through its plugin only; without it the error names the package and the plugin', async () => {
    const err = (await new TransportRegistry().resolve('sqs').catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(TransportNotFoundError);
    expect(err.message).toContain('pnpm add @cq/transport-sqs');
    expect(err.message).toContain('sqsTransport()');
    expect((await transports.resolve('sqs')).name).toBe('sqs');
  });

  it('names queues as kombu, looks them up before creating, and creates them with kombu attributes', async () => {
    // An existing queue with another visibility timeout: creating it again with 1800 would fail (QueueNameExists).
    await raw.send(new CreateQueueCommand({ QueueName: 'cq-sqs-existing', Attributes: { VisibilityTimeout: '30' } }));
    const { channel } = await connect();
    await channel.declareQueue({ name: 'cq.sqs.existing', durable: true, exclusive: false, autoDelete: false, arguments: {} });
    expect(await attribute('cq-sqs-existing', 'VisibilityTimeout')).toBe('30');
    await channel.declareQueue({ name: 'cq.sqs.w1@host', durable: true, exclusive: false, autoDelete: false, arguments: {} });
    expect(await attribute('cq-sqs-w1_host', 'VisibilityTimeout')).toBe('1800');
    await channel.declareQueue({ name: 'cq.sqs.ordered.fifo', durable: true, exclusive: false, autoDelete: false, arguments: {} });
    expect(await attribute('cq-sqs-ordered.fifo', 'FifoQueue')).toBe('true');
    const { channel: prefixed } = await connect({ queue_name_prefix: 'dev.', visibility_timeout: 45 });
    await prefixed.declareQueue({ name: 'cq.sqs.p', durable: true, exclusive: false, autoDelete: false, arguments: {} });
    expect(await attribute('dev-cq-sqs-p', 'VisibilityTimeout')).toBe('45');
  });

  it('writes base64 of the kombu envelope, reads plain JSON bodies, and routes by the original name', async () => {
    const { channel } = await connect();
    await channel.publish(msg('hé', { headers: { task: 't', id: 'i1' }, properties: { correlation_id: 'i1' } }), '', 'cq.sqs.body');
    const got = await raw.send(new ReceiveMessageCommand({ QueueUrl: await queueUrl('cq-sqs-body'), WaitTimeSeconds: 1 }));
    const json = Buffer.from(got.Messages![0]!.Body!, 'base64').toString('utf8');
    const envelope = JSON.parse(json) as { body: string; headers: unknown; properties: { delivery_info: unknown; body_encoding: string } };
    expect(json.startsWith('{"body": ')).toBe(true);
    expect(Buffer.from(envelope.body, 'base64').toString()).toBe('hé');
    expect(envelope.headers).toEqual({ task: 't', id: 'i1' });
    expect(envelope.properties.delivery_info).toEqual({ exchange: '', routing_key: 'cq.sqs.body' });
    expect(envelope.properties.body_encoding).toBe('base64');
    // The same envelope as plain JSON (kombu with sqs_base64_encoding=False) is read too.
    await raw.send(new SendMessageCommand({ QueueUrl: await queueUrl('cq-sqs-body'), MessageBody: json }));
    const d = await channel.get('cq.sqs.body', { noAck: true });
    expect(d?.body.toString()).toBe('hé');
    expect(d?.headers).toEqual({ task: 't', id: 'i1' });
  });

  it('keeps order within FIFO message groups and sends the group and dedup ids', async () => {
    const { channel } = await connect();
    const q = 'cq.sqs.groups.fifo';
    for (let i = 0; i < 12; i++) {
      const group = i % 2 === 0 ? 'even' : 'odd';
      await channel.publish(msg(`${group}-${i}`, { properties: { MessageGroupId: group, MessageDeduplicationId: `d-${i}` } }), '', q);
    }
    // The same deduplication id again within 5 minutes: SQS keeps one copy.
    await channel.publish(msg('even-0-again', { properties: { MessageGroupId: 'even', MessageDeduplicationId: 'd-0' } }), '', q);
    const got: Delivery[] = [];
    await channel.qos(4);
    await channel.consume(q, (d) => { got.push(d); void channel.ack(d.deliveryTag); });
    await waitUntil(() => got.length >= 12, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const bodies = got.map((d) => d.body.toString());
    expect(bodies).toHaveLength(12);
    expect(bodies.filter((b) => b.startsWith('even'))).toEqual([0, 2, 4, 6, 8, 10].map((i) => `even-${i}`));
    expect(bodies.filter((b) => b.startsWith('odd'))).toEqual([1, 3, 5, 7, 9, 11].map((i) => `odd-${i}`));
  });

  it('delays a countdown within 15 minutes with DelaySeconds', async () => {
    const { channel } = await connect();
    const sent = Date.now();
    const eta = new Date(sent + 2500).toISOString();
    await channel.publish(msg('later', { headers: { eta } }), '', 'cq.sqs.delay');
    expect(await attribute('cq-sqs-delay', 'ApproximateNumberOfMessagesDelayed')).toBe('1');
    let got: Delivery | null = null;
    await waitUntil(async () => (got = await channel.get('cq.sqs.delay', { noAck: true })) !== null, 6000);
    expect(got!.body.toString()).toBe('later');
    expect(Date.now() - sent).toBeGreaterThanOrEqual(1900); // DelaySeconds 2: up to a second early, never late
  });

  it('acks with DeleteMessageBatch and requeues with ChangeMessageVisibilityBatch, 10 entries at most', async () => {
    const { channel, transport } = await connect();
    const q = 'cq.sqs.batch';
    for (let i = 0; i < 30; i++) await channel.publish(msg(`m${i}`), '', q);
    const calls = recordCommands(transport);
    const got: Delivery[] = [];
    await channel.consume(q, (d) => got.push(d));
    await waitUntil(() => got.length === 30, 10_000);
    await Promise.all(got.slice(0, 25).map((d) => channel.ack(d.deliveryTag)));
    await Promise.all(got.slice(25).map((d) => channel.reject(d.deliveryTag, true)));
    const deletes = calls.filter((c) => c.command === 'DeleteMessageBatchCommand').map((c) => (c.input['Entries'] as unknown[]).length);
    expect(deletes.reduce((a, b) => a + b, 0)).toBe(25);
    expect(Math.max(...deletes)).toBeLessThanOrEqual(10);
    expect(deletes.length).toBeLessThanOrEqual(4);
    const requeues = calls.filter((c) => c.command === 'ChangeMessageVisibilityBatchCommand').flatMap((c) => c.input['Entries'] as Array<{ VisibilityTimeout: number }>);
    expect(requeues.map((e) => e.VisibilityTimeout)).toEqual([0, 0, 0, 0, 0]);
    expect(calls.some((c) => c.command === 'DeleteMessageCommand')).toBe(false);
    const receives = calls.filter((c) => c.command === 'ReceiveMessageCommand').map((c) => c.input['MaxNumberOfMessages'] as number);
    expect(Math.max(...receives)).toBeLessThanOrEqual(10);
  });

  it('long-polls: a message from another connection arrives at once, and an idle consumer sends few requests', async () => {
    const { channel, transport } = await connect({ wait_time_seconds: 5 });
    const { channel: publisher } = await connect();
    const q = 'cq.sqs.longpoll';
    await channel.declareQueue({ name: q, durable: true, exclusive: false, autoDelete: false, arguments: {} });
    const calls = recordCommands(transport);
    const got: Array<{ at: number; d: Delivery }> = [];
    await channel.consume(q, (d) => { got.push({ at: Date.now(), d }); void channel.ack(d.deliveryTag); });
    await new Promise((r) => setTimeout(r, 2500));
    expect(calls.filter((c) => c.command === 'ReceiveMessageCommand').length).toBeLessThanOrEqual(2);
    const sent = Date.now();
    await publisher.publish(msg('ping'), '', q);
    await waitUntil(() => got.length === 1, 3000);
    expect(got[0]!.at - sent).toBeLessThan(1000);
  });

  it('keeps a held message invisible past the visibility timeout, and without the refresh it comes back', async () => {
    const q = 'cq.sqs.refresh';
    const { channel: held } = await connect({ visibility_timeout: 2, visibility_refresh_interval: 1 });
    const { channel: other } = await connect();
    await held.publish(msg('long task'), '', q);
    const d = await held.get(q);
    expect(d?.body.toString()).toBe('long task');
    const until = Date.now() + 5000;
    while (Date.now() < until) {
      expect(await other.get(q, { noAck: true })).toBeNull();
      await new Promise((r) => setTimeout(r, 250));
    }
    await held.ack(d!.deliveryTag);
    // Control: the same without the refresh is delivered again once its 2 s run out.
    const { channel: plain } = await connect({ visibility_timeout: 2, visibility_refresh_interval: 0 });
    await plain.publish(msg('short lease'), '', q);
    expect((await plain.get(q))?.body.toString()).toBe('short lease');
    await new Promise((r) => setTimeout(r, 2600));
    const again = await other.get(q, { noAck: true });
    expect(again?.body.toString()).toBe('short lease');
    expect(again?.redelivered).toBe(true);
  });

  it('with predefined_queues, uses their URLs, creates nothing, and refuses other queues', async () => {
    await raw.send(new CreateQueueCommand({ QueueName: 'cq-predef', Attributes: { VisibilityTimeout: '60' } }));
    const url = await queueUrl('cq-predef');
    const { channel, transport } = await connect({ predefined_queues: { 'cq-predef': { url, access_key_id: 'other', secret_access_key: 'keys' } } });
    const calls = recordCommands(transport);
    await channel.publish(msg('pre'), '', 'cq.predef');
    expect((await channel.get('cq.predef', { noAck: true }))?.body.toString()).toBe('pre');
    await expect(channel.publish(msg('x'), '', 'cq.elsewhere')).rejects.toBeInstanceOf(SqsUndefinedQueueError);
    expect(calls.map((c) => c.command)).not.toContain('CreateQueueCommand');
    expect(calls.map((c) => c.command)).not.toContain('GetQueueUrlCommand');
  });

  it('fails to connect to an endpoint that is down with a recoverable error that holds no secret', async () => {
    const port = await freePort();
    const conn = new Connection(`sqs://AKIAEXAMPLE:t0p%2Fsecret@127.0.0.1:${port}`, { transports, transportOptions: { region: 'us-east-1' } });
    const err = (await conn.connect().catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConnectionError);
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).not.toMatch(/t0p|secret/);
  });
});
