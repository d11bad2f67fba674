import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Connection, TransportRegistry } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { sqliteTransport } from '../src/index.js';

// Resolved by scheme, as an app resolves it once given the plugin.
const transports = new TransportRegistry();
sqliteTransport().install({ transports });
const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeTransport('sqlite', () => new Connection(`sqlite:///${join(dir, 'broker.db')}`, { transports }));
