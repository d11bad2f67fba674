/**
 * URLs, transport options, the plugin and the registry's hint, and the errors a connection gets, all
 * without a MongoDB server (the connection test dials a port nothing listens on).
 */
import { describe, expect, it } from 'vitest';
import { ConfigurationError, Connection, ConnectionError, TransportNotFoundError, TransportRegistry, parseUrl } from '@cq/kombu';
import { freePort } from '@cq/tooling/testing';
import { MongoCommandError, MongoOptionError, MongoTransport, mongodbTransport, resolveOptions, toTransportError } from '../src/index.js';

const resolve = (url: string, options = {}) => resolveOptions(parseUrl(url), options);

describe('broker URL and options', () => {
  it('fills kombu defaults: 127.0.0.1:27017, database kombu_default, kombu collection names', () => {
    const s = resolve('mongodb://');
    expect(s).toMatchObject({
      connectionString: 'mongodb://127.0.0.1:27017/', database: 'kombu_default', where: '127.0.0.1:27017/kombu_default',
      collections: { messages: 'messages', routing: 'messages.routing', broadcast: 'messages.broadcast', queues: 'messages.queues' },
      ttl: false, cappedQueueSize: 100000, calcQueueSize: true, visibilityTimeout: 30, pollingInterval: 0.1, clientOptions: {},
    });
    expect(resolve('mongodb://db.example//').database).toBe('kombu_default');
    expect(resolve('mongodb://db.example', { default_database: 'jobs', default_port: 27018 })).toMatchObject({
      connectionString: 'mongodb://db.example:27018/', database: 'jobs',
    });
    expect(resolve('mongodb://', { default_hostname: 'mongo.internal' }).connectionString).toBe('mongodb://mongo.internal:27017/');
  });

  it('keeps credentials, host lists, SRV and query options for the driver, and never shows the password', () => {
    const s = resolve('mongodb://cq:p%40ss@h1:27017,h2:27018/celery?replicaSet=rs0&authSource=admin');
    expect(s.connectionString).toBe('mongodb://cq:p%40ss@h1:27017,h2:27018/celery?replicaSet=rs0&authSource=admin');
    expect(s.database).toBe('celery');
    expect(s.where).toBe('h1:27017,h2:27018/celery');
    const srv = resolve('mongodb+srv://u:secret@cluster0.example.net/jobs?retryWrites=true');
    expect(srv.connectionString).toBe('mongodb+srv://u:secret@cluster0.example.net/jobs?retryWrites=true');
    expect(srv.where).not.toContain('secret');
    expect(resolve('mongodb://[::1]/x').connectionString).toBe('mongodb://[::1]:27017/x');
  });

  it("reads kombu's option names and cq's, strings included (broker_transport_options from the environment)", () => {
    const s = resolve('mongodb://h/db', {
      ttl: 'true', capped_queue_size: '200000', calc_queue_size: false, connect_timeout: 2.5, ssl: true, visibility_timeout: 5,
      polling_interval: '0.5', messages_collection: 'm', routing_collection: 'm.r', broadcast_collection: 'm.b', queues_collection: 'm.q',
    });
    expect(s).toMatchObject({
      ttl: true, cappedQueueSize: 200000, calcQueueSize: false, visibilityTimeout: 5, pollingInterval: 0.5,
      clientOptions: { connectTimeoutMS: 2500, tls: true }, collections: { messages: 'm', routing: 'm.r', broadcast: 'm.b', queues: 'm.q' },
    });
    expect(resolve('mongodb://h/db?tls=false', { ssl: true }).clientOptions).toEqual({});
  });

  it('refuses bad options and names with MongoOptionError, a kombu ConfigurationError', () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ['mongodb://h/db', { ttl: 'maybe' }, /ttl must be true or false/],
      ['mongodb://h/db', { visibility_timeout: 0 }, /visibility_timeout must be a number of seconds > 0/],
      ['mongodb://h/db', { polling_interval: -1 }, /polling_interval must be a number of seconds >= 0/],
      ['mongodb://h/db', { capped_queue_size: 10 }, /capped_queue_size must be an integer >= 4096/],
      ['mongodb://h/db', { messages_collection: 'system.x' }, /not a collection name/],
      ['mongodb://h/db', { default_port: 70000 }, /default_port must be 1-65535/],
      ['mongodb://h/bad.name', {}, /database name "bad.name"/],
      ['redis://h/0', {}, /not a MongoDB broker URL/],
    ];
    for (const [url, options, message] of bad) {
      const err = (() => { try { resolve(url, options); return null; } catch (e) { return e; } })();
      expect(err, `${url} ${JSON.stringify(options)}`).toBeInstanceOf(MongoOptionError);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect((err as Error).message).toMatch(message);
    }
  });

  it('lets the driver check the URL when the transport is made: unsupported or malformed options fail at once', () => {
    expect(() => new MongoTransport(parseUrl('mongodb://u:secret@h/db?maxPoolSize=many'))).toThrow(MongoOptionError);
    expect(() => new MongoTransport(parseUrl('mongodb://u:secret@h/db?noSuchOption=1'))).toThrow(/mongodb:\/\/u:\*\*@h\/db/);
    expect(() => new MongoTransport(parseUrl('mongodb+srv://h:27017/db'))).toThrow(/port/);
    expect(new MongoTransport(parseUrl('mongodb://h1:1,h2:2/db?replicaSet=rs')).capabilities).toEqual({
      priorityOrder: 'higher-first', persistent: true, redeliversUnacked: true, fanout: true,
    });
  });
});

describe('plugin and registry', () => {
  it('registers mongodb:// and mongodb+srv://; without it the URL fails naming the package and the plugin, not the preset', async () => {
    const bare = new TransportRegistry();
    const err = await bare.resolve('mongodb').then(() => new Error('resolved'), (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(TransportNotFoundError);
    expect(err.message).toContain('pnpm add @cq/transport-mongodb');
    expect(err.message).toContain('mongodbTransport()');
    expect(err.message).not.toContain('preset');
    expect((await bare.resolve('mongodb+srv').then(() => new Error('resolved'), (e: unknown) => e as Error)).message).toContain('@cq/transport-mongodb');

    const transports = new TransportRegistry();
    mongodbTransport().install({ transports });
    expect(mongodbTransport()).toMatchObject({ name: '@cq/transport-mongodb', schemes: ['mongodb', 'mongodb+srv'] });
    expect((await transports.resolve('mongodb')).name).toBe('mongodb');
    expect(await transports.resolve('mongodb+srv')).toBe(await transports.resolve('mongodb'));
  });
});

describe('errors', () => {
  it('a server that does not answer is a recoverable kombu ConnectionError, without the password', async () => {
    const transports = new TransportRegistry();
    mongodbTransport().install({ transports });
    const port = await freePort();
    const conn = new Connection(`mongodb://cq:hunter2@127.0.0.1:${port}/cq?serverSelectionTimeoutMS=300&connectTimeoutMS=300`, { transports });
    const err = await conn.connect().then(() => null, (e: unknown) => e as Error);
    await conn.close();
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).recoverable).toBe(true);
    expect(err!.message).toContain(`127.0.0.1:${port}/cq`);
    expect(err!.message).not.toContain('hunter2');
    expect(err!.message).toMatch(/retry once the server is back/);
  });

  it('keeps kombu errors as they are and wraps anything else as a MongoCommandError', () => {
    const kombuErr = new ConnectionError('x');
    expect(toTransportError(kombuErr, 'acking', 'h/db')).toBe(kombuErr);
    const other = toTransportError(new Error('odd'), 'acking', 'h/db');
    expect(other).toBeInstanceOf(MongoCommandError);
    expect(other.message).toBe('mongodb broker h/db failed while acking: odd');
    expect((other as MongoCommandError).recoverable).toBe(false);
  });
});
