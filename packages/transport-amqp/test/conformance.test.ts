import { Connection } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { transport } from '../src/index.js';

// The kombu registry cannot import this package from its own directory under pnpm: pass it in.
describeTransport('amqp', () => new Connection('amqp://guest:guest@127.0.0.1:5672//', { transport }));
