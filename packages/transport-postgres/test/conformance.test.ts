import { describeTransport } from '@cq/kombu/testing';
import { connection, testDatabase } from './helpers.js';

const db = testDatabase('cq_tp_conformance');

describeTransport('postgresql (cq tables)', () => connection(`postgresql://${db}`));
describeTransport('sqla+postgresql (kombu tables)', () => connection(`sqla+postgresql://${db}`));
