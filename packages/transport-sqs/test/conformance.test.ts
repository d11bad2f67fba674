/**
 * The transport conformance suite on SQS (fauxqs, started on a free port). Everything in it holds
 * on SQS: the fanout case routes to queues bound in the same process, as kombu's SQS does without
 * fanout support (the transport declares `fanout: false`, which the suite does not check).
 * Short long polls (1 s) keep each test's closing quick (a close lets pending polls finish).
 */
import { afterAll, beforeAll } from 'vitest';
import { Connection, TransportRegistry } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { startSqsEmulator, type SqsEmulator } from '@cq/tooling/testing';
import { sqsTransport } from '../src/index.js';

const transports = new TransportRegistry();
sqsTransport().install({ transports });
let emulator: SqsEmulator;
beforeAll(async () => { emulator = await startSqsEmulator(); });
afterAll(async () => { await emulator?.stop(); });

describeTransport('sqs', () => new Connection(`sqs://key:secret@127.0.0.1:${emulator.port}`, {
  transports, transportOptions: { region: 'us-east-1', wait_time_seconds: 1 },
}));
