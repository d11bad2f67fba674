/**
 * The SQS emulator's process (started by `startSqsEmulator`, never imported): fauxqs embedded
 * (`buildApp` over one in-memory store) behind a node:http server on ONE port that serves both SQS
 * protocols:
 *
 * - JSON (`application/x-amz-json-1.0`, the AWS SDK for JavaScript v3) goes to fauxqs as it is, and
 *   so does anything that is not an SQS call (`/health`, SNS, S3);
 * - query (form-encoded `Action=...`, or a presigned GET, from botocore 1.29 and kombu 5.2's pycurl
 *   client) is translated to a JSON call and its reply rendered as XML (`sqs-query.ts`).
 *
 * A ReceiveMessage whose client has gone by the time it returns (a worker stopped during a long
 * poll) puts its messages back at once, so the next worker does not wait out the visibility timeout
 * for them (on AWS it would). Every request reaches fauxqs with `Host: 127.0.0.1:<port>`, so queue
 * URLs come out as `http://127.0.0.1:<port>/000000000000/<name>`, and a queue URL a client sends with
 * another host (`localhost`) is rewritten to that form. Environment: `SQS_FRONT_PORT` (the port),
 * `FAUXQS_DIST` (file URL of fauxqs's `dist/` directory). It prints `listening <port>` once ready.
 */
import http from 'node:http';
import { renderQueryError, renderQueryReply, SQS_QUERY_ACTIONS, translateQueryRequest } from './sqs-query.js';

interface InjectReply {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  rawPayload: Buffer;
  body: string;
}
interface FauxqsApp {
  inject(request: { method: string; url: string; headers: Record<string, string | string[] | undefined>; payload?: Buffer | string }): Promise<InjectReply>;
  ready(): Promise<unknown>;
  close(): Promise<unknown>;
}

const port = Number(process.env.SQS_FRONT_PORT);
const dist = process.env.FAUXQS_DIST;
if (!port || !dist) throw new Error('SQS_FRONT_PORT and FAUXQS_DIST must be set');
const host = `127.0.0.1:${port}`;
const origin = `http://${host}`;

const fauxqs = (await import(`${dist}/app.js`)) as { buildApp(options: object): FauxqsApp };
const { SqsStore } = (await import(`${dist}/sqs/sqsStore.js`)) as { SqsStore: new () => { host: string } };
const sqsStore = new SqsStore();
sqsStore.host = ''; // no `sqs.<region>.localhost`: queue URLs take the request's Host
const app = fauxqs.buildApp({ logger: false, stores: { sqsStore } });
await app.ready();

/** A queue URL with this front's origin, whatever host the client used. */
const canonicalQueueUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    return origin + parsed.pathname;
  } catch {
    return url;
  }
};

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A SigV4 `Authorization` header for fauxqs's region lookup, from a presigned URL's credential. */
function authorization(req: http.IncomingMessage, url: URL): string | undefined {
  const credential = url.searchParams.get('X-Amz-Credential');
  return req.headers.authorization ?? (credential ? `AWS4-HMAC-SHA256 Credential=${credential}` : undefined);
}

/** One call in the JSON protocol, to the embedded fauxqs. */
function callJson(action: string, input: Record<string, unknown>, auth: string | undefined): Promise<InjectReply> {
  return app.inject({
    method: 'POST', url: '/',
    headers: { host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}`, ...(auth ? { authorization: auth } : {}) },
    payload: JSON.stringify(input),
  });
}

/**
 * A long poll whose client went away (a worker stopped mid-poll) must not keep what it took for the
 * whole visibility timeout (kombu's is 1800 s): its messages are made visible again at once.
 */
async function releaseIfGone(gone: boolean, action: string, input: Record<string, unknown>, reply: InjectReply): Promise<void> {
  if (!gone || action !== 'ReceiveMessage' || reply.statusCode !== 200) return;
  const { Messages = [] } = JSON.parse(reply.body) as { Messages?: { ReceiptHandle: string }[] };
  for (const m of Messages) await callJson('ChangeMessageVisibility', { QueueUrl: input.QueueUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 }, undefined);
}

/** A JSON call's input with its queue URL made canonical; undefined when the body is not a JSON object. */
function jsonInput(body: Buffer): Record<string, unknown> | undefined {
  try {
    const input = JSON.parse(body.toString('utf8')) as unknown;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return undefined;
    const record = input as Record<string, unknown>;
    return typeof record.QueueUrl === 'string' ? { ...record, QueueUrl: canonicalQueueUrl(record.QueueUrl) } : record;
  } catch {
    return undefined;
  }
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let gone = false;
  res.once('close', () => { gone = !res.writableEnded; });
  const url = new URL(req.url ?? '/', origin);
  const body = await readBody(req);
  const contentType = String(req.headers['content-type']);
  const params = contentType.includes('x-www-form-urlencoded') ? new URLSearchParams(body.toString('utf8')) : req.method === 'GET' ? url.searchParams : undefined;
  const queryAction = params?.get('Action');
  if (params && queryAction && SQS_QUERY_ACTIONS.has(queryAction)) {
    // query: translated, sent as JSON, the reply rendered as XML
    const { action, input } = translateQueryRequest(params, url.pathname === '/' ? undefined : origin + url.pathname, canonicalQueueUrl);
    const reply = await callJson(action, input, authorization(req, url));
    await releaseIfGone(gone, action, input, reply);
    const json = (reply.body ? JSON.parse(reply.body) : {}) as Record<string, unknown>;
    const header = reply.headers['x-amzn-query-error'];
    const xml = reply.statusCode === 200 ? renderQueryReply(action, json) : renderQueryError(json, typeof header === 'string' ? header : undefined);
    res.writeHead(reply.statusCode, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(xml) }).end(xml);
    return;
  }
  const target = req.headers['x-amz-target'];
  const input = contentType.includes('x-amz-json') && typeof target === 'string' && target.startsWith('AmazonSQS.') ? jsonInput(body) : undefined;
  let reply: InjectReply;
  if (input && typeof target === 'string') {
    // JSON: as it came, with the queue URL made canonical
    const action = target.slice('AmazonSQS.'.length);
    reply = await callJson(action, input, req.headers.authorization);
    await releaseIfGone(gone, action, input, reply);
  } else {
    // anything else (/health, SNS, S3, a body fauxqs will reject): untouched but for the Host
    reply = await app.inject({ method: req.method ?? 'GET', url: req.url ?? '/', headers: { ...req.headers, host }, payload: body });
  }
  const headers = Object.fromEntries(Object.entries(reply.headers).filter(([k]) => k !== 'transfer-encoding' && k !== 'connection'));
  res.writeHead(reply.statusCode, headers).end(reply.rawPayload);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err: unknown) => {
    const xml = renderQueryError({ __type: 'InternalFailure', message: String(err) }, 'InternalFailure;Receiver');
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/xml' });
    res.end(xml);
  });
});
server.keepAliveTimeout = 65_000; // longer than a 20 s long poll, so pooled connections are not cut between polls

const shutdown = () => {
  server.close();
  server.closeAllConnections();
  void app.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

server.listen(port, () => process.stdout.write(`listening ${port}\n`));
