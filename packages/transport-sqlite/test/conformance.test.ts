import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { Connection, registerTransport } from '@cq/kombu';
import { describeTransport } from '@cq/kombu/testing';
import { transport } from '../src/index.js';

// In the workspace, @cq/kombu's registry cannot import this package from its own directory.
registerTransport('sqlite', transport);
const dir = mkdtempSync(join(tmpdir(), 'cq-sqlite-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeTransport('sqlite', () => new Connection(`sqlite:///${join(dir, 'broker.db')}`));
