/** The shared transport suite (@cq/kombu/testing) on the MongoDB server, with kombu's defaults and with `ttl` on. */
import { describeTransport } from '@cq/kombu/testing';
import { connection, testDatabase } from './helpers.js';

const url = testDatabase('cq_tp_conformance');

describeTransport('mongodb', () => connection(url, { polling_interval: 0.01 }));
describeTransport('mongodb (ttl)', () => connection(url, { polling_interval: 0.01, ttl: true }));
