/** The shared result backend suite (@cq/backend/testing) on the MongoDB server, with Celery's defaults and with collections of its own. */
import { describeBackend } from '@cq/backend/testing';
import { MongoBackend } from '../../src/index.js';
import { resultDatabase } from './helpers.js';

const url = resultDatabase('cq_rb_conformance');

describeBackend('mongodb', (options) => new MongoBackend({ ...options, url }));
describeBackend('mongodb (mongodb_backend_settings)', (options) => new MongoBackend({
  ...options, url, settings: { mongodb_backend_settings: { taskmeta_collection: 'own_tasks', groupmeta_collection: 'own_groups' } },
}));
