import net from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePython } from './peers.js';
import { execFileTracked } from './processes.js';
import { startSqsEmulator, type SqsEmulator } from './sqs-emulator.js';
import { renderQueryReply, translateQueryRequest } from './sqs-query.js';

const exec = promisify(execFileTracked);

/** Python's side: botocore 1.29 speaks the query protocol; prints one JSON line per step. */
const BOTO = `
import boto3, json, sys
endpoint, step, arg = sys.argv[1], sys.argv[2], sys.argv[3]
c = boto3.client('sqs', endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='any', aws_secret_access_key='any', use_ssl=False)
if step == 'create':
    url = c.create_queue(QueueName=arg, Attributes={'VisibilityTimeout': '1800'})['QueueUrl']
    c.send_message(QueueUrl=url, MessageBody='from <python> & co', MessageAttributes={'lang': {'DataType': 'String', 'StringValue': 'py'}})
    print(json.dumps({'protocol': c.meta.service_model.protocol, 'url': url, 'listed': c.list_queues(QueueNamePrefix=arg)['QueueUrls']}))
elif step == 'receive':
    url = c.get_queue_url(QueueName=arg)['QueueUrl']
    got = c.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=['All'], MessageAttributeNames=['All'], WaitTimeSeconds=2)['Messages']
    c.delete_message_batch(QueueUrl=url, Entries=[{'Id': str(i), 'ReceiptHandle': m['ReceiptHandle']} for i, m in enumerate(got)])
    left = c.get_queue_attributes(QueueUrl=url, AttributeNames=['All'])['Attributes']
    print(json.dumps({'bodies': [m['Body'] for m in got], 'attrs': [m.get('MessageAttributes') for m in got],
                      'count': [m['Attributes']['ApproximateReceiveCount'] for m in got], 'left': left['ApproximateNumberOfMessagesNotVisible'],
                      'visibility': left['VisibilityTimeout']}))
elif step == 'errors':
    out = {}
    try:
        c.get_queue_url(QueueName='missing-' + arg)
    except c.exceptions.QueueDoesNotExist as e:
        out['missing'] = e.response['Error']['Code']
    try:
        c.create_queue(QueueName=arg, Attributes={'VisibilityTimeout': '30'})
    except Exception as e:
        out['conflict'] = e.response['Error']['Code']
    print(json.dumps(out))
`;

async function boto(endpoint: string, step: string, queue: string): Promise<Record<string, unknown>> {
  const { stdout } = await exec(requirePython(['boto3']), ['-c', BOTO, endpoint, step, queue], { timeout: 30_000 });
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** One call in the JSON protocol (what the AWS SDK for JavaScript sends). */
async function json(endpoint: string, action: string, input: object): Promise<Record<string, unknown>> {
  const res = await fetch(endpoint, {
    method: 'POST', body: JSON.stringify(input),
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${action}: ${JSON.stringify(body)}`);
  return body;
}

describe('startSqsEmulator', () => {
  let sqs: SqsEmulator;
  const queue = `emu-${process.pid}`;
  beforeAll(async () => { sqs = await startSqsEmulator(); });
  afterAll(async () => { await sqs?.stop(); });

  it('serves the query protocol to botocore and the JSON protocol on the same port and store', async () => {
    const url = `${sqs.endpoint}/000000000000/${queue}`;
    expect(await boto(sqs.endpoint, 'create', queue)).toEqual({ protocol: 'query', url, listed: [url] });
    const got = await json(sqs.endpoint, 'ReceiveMessage', { QueueUrl: url, MessageAttributeNames: ['All'] });
    expect(got.Messages).toMatchObject([{ Body: 'from <python> & co', MessageAttributes: { lang: { DataType: 'String', StringValue: 'py' } } }]);
    // a queue URL sent with another host name still names the same queue
    await json(sqs.endpoint, 'SendMessage', { QueueUrl: url.replace('127.0.0.1', 'localhost'), MessageBody: 'from js', MessageAttributes: { lang: { DataType: 'String', StringValue: 'ts' } } });
    expect(await boto(sqs.endpoint, 'receive', queue)).toEqual({
      bodies: ['from js'], attrs: [{ lang: { DataType: 'String', StringValue: 'ts' } }], count: ['1'], left: '1', visibility: '1800',
    });
  });

  it("answers kombu's async client: a form POST to the queue URL, a presigned-style GET", async () => {
    const path = `/000000000000/${queue}`;
    await json(sqs.endpoint, 'SendMessage', { QueueUrl: sqs.endpoint + path, MessageBody: 'for pycurl' });
    const received = await fetch(sqs.endpoint + path, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=ReceiveMessage&MaxNumberOfMessages=1&AttributeName.1=ApproximateReceiveCount&WaitTimeSeconds=1',
    });
    const xml = await received.text();
    expect(received.status).toBe(200);
    expect(xml).toMatch(/<ReceiveMessageResult><Message><MessageId>[^<]+<\/MessageId><ReceiptHandle>/);
    expect(xml).toContain('<Body>for pycurl</Body>');
    expect(xml).toContain('<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>');
    const attrs = await (await fetch(`${sqs.endpoint}${path}?Action=GetQueueAttributes&AttributeName=VisibilityTimeout&X-Amz-Algorithm=AWS4-HMAC-SHA256`)).text();
    expect(attrs).toContain('<GetQueueAttributesResult><Attribute><Name>VisibilityTimeout</Name><Value>1800</Value></Attribute></GetQueueAttributesResult>');
  });

  it('renders errors as XML <ErrorResponse> with the query error codes botocore maps', async () => {
    expect(await boto(sqs.endpoint, 'errors', queue)).toEqual({ missing: 'AWS.SimpleQueueService.NonExistentQueue', conflict: 'AWS.SimpleQueueService.QueueNameExists' });
    const res = await fetch(`${sqs.endpoint}/000000000000/nope`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=PurgeQueue' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^<\?xml version="1.0"\?><ErrorResponse [^>]+><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message>/);
  });

  it('puts back what a long poll took after its client went away', async () => {
    const url = `${sqs.endpoint}/000000000000/${queue}-gone`;
    await json(sqs.endpoint, 'CreateQueue', { QueueName: `${queue}-gone`, Attributes: { VisibilityTimeout: '1800' } });
    const abort = new AbortController();
    const poll = fetch(`${sqs.endpoint}/000000000000/${queue}-gone`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ReceiveMessage&WaitTimeSeconds=5', signal: abort.signal,
    }).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    expect(await poll).toBe('aborted');
    await new Promise((r) => setTimeout(r, 100));
    await json(sqs.endpoint, 'SendMessage', { QueueUrl: url, MessageBody: 'not lost' }); // the abandoned poll takes it
    const got = await json(sqs.endpoint, 'ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 2, AttributeNames: ['ApproximateReceiveCount'] });
    expect(got.Messages).toMatchObject([{ Body: 'not lost', Attributes: { ApproximateReceiveCount: '2' } }]);
  });

  it('stops: nothing listens on its port afterwards', async () => {
    const other = await startSqsEmulator();
    await other.stop();
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port: other.port, host: '127.0.0.1' });
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    expect(open).toBe(false);
  });
});

describe('query protocol translation', () => {
  const same = (url: string) => url;

  it('turns flattened lists, maps and batch entries into JSON input', () => {
    const params = new URLSearchParams({
      Action: 'SendMessageBatch', Version: '2012-11-05', QueueUrl: 'http://h/1/q',
      'SendMessageBatchRequestEntry.2.Id': 'b', 'SendMessageBatchRequestEntry.2.MessageBody': 'two',
      'SendMessageBatchRequestEntry.1.Id': 'a', 'SendMessageBatchRequestEntry.1.MessageBody': 'one', 'SendMessageBatchRequestEntry.1.DelaySeconds': '3',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Name': 'k', 'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType': 'String',
      'SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue': 'v',
    });
    expect(translateQueryRequest(params, undefined, same)).toEqual({
      action: 'SendMessageBatch',
      input: { QueueUrl: 'http://h/1/q', Entries: [
        { Id: 'a', MessageBody: 'one', DelaySeconds: 3, MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
        { Id: 'b', MessageBody: 'two' },
      ] },
    });
    const create = new URLSearchParams({ Action: 'CreateQueue', QueueName: 'q.fifo', 'Attribute.1.Name': 'FifoQueue', 'Attribute.1.Value': 'true', 'Tag.1.Key': 't', 'Tag.1.Value': 'u' });
    expect(translateQueryRequest(create, 'http://h/1/x', same)).toEqual({ action: 'CreateQueue', input: { QueueName: 'q.fifo', Attributes: { FifoQueue: 'true' }, tags: { t: 'u' } } });
  });

  it('renders JSON output as the XML of the action, with list members and name/value pairs', () => {
    expect(renderQueryReply('DeleteMessageBatch', { Successful: [{ Id: 'a' }], Failed: [{ Id: 'b', SenderFault: true, Code: 'X', Message: '<m>' }] }))
      .toContain('<DeleteMessageBatchResult><DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>'
        + '<BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>X</Code><Message>&lt;m&gt;</Message></BatchResultErrorEntry></DeleteMessageBatchResult>');
    expect(renderQueryReply('ReceiveMessage', {})).toContain('<ReceiveMessageResult></ReceiveMessageResult>');
    expect(renderQueryReply('DeleteQueue', {})).toMatch(/^<\?xml version="1.0"\?><DeleteQueueResponse [^>]+><ResponseMetadata><RequestId>[^<]+<\/RequestId><\/ResponseMetadata><\/DeleteQueueResponse>$/);
  });
});
