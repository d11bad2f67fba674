import { Connection } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { transport } from '../src/index.js';
import { TEST_URL } from './helpers.js';

// The registry cannot import this package from @cq/kombu's directory under pnpm: pass it explicitly.
describeTransport('redis', () => new Connection(TEST_URL, { transport }));
