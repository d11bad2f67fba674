/**
 * The result backend URL and `mongodb_backend_settings`, combined as Celery's `MongoBackend.__init__`
 * and `_get_connection` combine them; the plugin and the registry's hint; and what a client gets
 * from a server that does not answer — all without a MongoDB server.
 */
import { describe, expect, it } from 'vitest';
import { BackendConfigurationError, BackendNotInstalledError, BackendRegistry, BackendStoreError } from '@cq/backend';
import { freePort } from '@cq/tooling/testing';
import MongoBackendDefault, { MongoBackend, MongoBackendSettingsError, mongodbBackend, resolveBackendSettings } from '../src/index.js';

describe('URL and mongodb_backend_settings', () => {
  it("defaults as Celery: localhost:27017, database celery, collections celery_taskmeta and celery_groupmeta, maxPoolSize 10", () => {
    for (const url of [undefined, 'mongodb://']) {
      expect(resolveBackendSettings(url, undefined)).toEqual({
        connectionString: 'mongodb://localhost:27017/', clientOptions: { maxPoolSize: 10 }, database: 'celery',
        taskmetaCollection: 'celery_taskmeta', groupmetaCollection: 'celery_groupmeta', where: 'localhost:27017/celery',
      });
    }
  });

  it('reads hosts, database, credentials and options from the URL; credentials go apart, as Celery hands them to pymongo', () => {
    const s = resolveBackendSettings('mongodb://cq:p%40ss@h1:27017,h2:27018/results?replicaSet=rs0&authSource=admin', null);
    expect(s).toMatchObject({
      connectionString: 'mongodb://h1:27017,h2:27018/?replicaSet=rs0&authSource=admin', database: 'results', where: 'h1:27017,h2:27018/results',
      clientOptions: { maxPoolSize: 10, auth: { username: 'cq', password: 'p@ss' } },
    });
    expect(resolveBackendSettings('mongodb+srv://u:pw@cluster0.example.net/jobs', null)).toMatchObject({
      connectionString: 'mongodb+srv://cluster0.example.net/', database: 'jobs',
    });
    // Celery `_ensure_mongodb_uri_compliance`: `srv://…` is `mongodb+srv://…`.
    expect(resolveBackendSettings('srv://cluster0.example.net/jobs', null).connectionString).toBe('mongodb+srv://cluster0.example.net/');
    expect(resolveBackendSettings('mongodb://db.example/x', null).connectionString).toBe('mongodb://db.example:27017/');
  });

  it('lets the settings win, in Celery order: host/port, mongo_host, user/password, database, collections, options and the rest', () => {
    expect(resolveBackendSettings('mongodb://u@urlhost/urldb?tls=true', {
      host: 'sethost', port: 27019, user: 'admin', password: 'pw', database: 'db2', taskmeta_collection: 'tasks', groupmeta_collection: 'groups',
      options: { serverSelectionTimeoutMS: 500 }, appName: 'cq',
    })).toEqual({
      connectionString: 'mongodb://sethost:27019/?tls=true', database: 'db2', taskmetaCollection: 'tasks', groupmetaCollection: 'groups',
      clientOptions: { maxPoolSize: 10, serverSelectionTimeoutMS: 500, appName: 'cq', auth: { username: 'admin', password: 'pw' } },
      where: 'sethost:27019/db2',
    });
    expect(resolveBackendSettings(undefined, { mongo_host: ['a:1', 'b:2'] }).connectionString).toBe('mongodb://a:1,b:2/');
    expect(resolveBackendSettings(undefined, { host: 'mongodb://whole/uri' }).connectionString).toBe('mongodb://whole/uri');
    expect(resolveBackendSettings(undefined, { options: { maxPoolSize: 3 } }).clientOptions).toEqual({ maxPoolSize: 3 });
  });

  it('refuses settings that are not a dict, other URLs and names MongoDB refuses', () => {
    expect(() => resolveBackendSettings(undefined, 'mongodb://x')).toThrow(/grouped in a dict/);
    expect(() => resolveBackendSettings('redis://localhost/0', null)).toThrow(MongoBackendSettingsError);
    expect(() => resolveBackendSettings(undefined, { database: 'a.b' })).toThrow(/database name "a.b"/);
    expect(() => resolveBackendSettings(undefined, { taskmeta_collection: 'x$y' })).toThrow(/taskmeta_collection/);
    const err = (() => { try { return new MongoBackend({ url: 'mongodb://u:secret@h/db?noSuchOption=1' }); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(MongoBackendSettingsError);
    expect(err).toBeInstanceOf(BackendConfigurationError);
    expect((err as Error).message).not.toContain('secret');
  });

  it("takes the app's mongodb_backend_settings unless given its own", async () => {
    const backend = new MongoBackend({ url: 'mongodb://h/db', settings: { mongodb_backend_settings: { database: 'fromapp', taskmeta_collection: 't' } } });
    expect(backend.resolved).toMatchObject({ database: 'fromapp', taskmetaCollection: 't' });
    expect(backend.supportsAutoexpire).toBe(false);
    await backend.close();
    const own = new MongoBackend({ url: 'mongodb://h/db', mongodbBackendSettings: { database: 'own' }, settings: { mongodb_backend_settings: { database: 'fromapp' } } });
    expect(own.resolved.database).toBe('own');
    await own.close();
  });
});

describe('plugin and registry', () => {
  it('serves mongodb:// and mongodb+srv://; without the plugin the URL fails naming the package and the plugin, not the preset', async () => {
    const bare = new BackendRegistry();
    const err = await bare.create('mongodb://localhost/celery').then(() => new Error('created'), (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(BackendNotInstalledError);
    expect(err.message).toContain('pnpm add @cq/backend-mongodb');
    expect(err.message).toContain('mongodbBackend()');
    expect(err.message).not.toContain('preset');

    const registry = new BackendRegistry();
    mongodbBackend().install({ backends: registry });
    expect(MongoBackendDefault).toBe(MongoBackend);
    for (const url of ['mongodb://localhost/celery', 'mongodb+srv://cluster0.example.net/celery']) {
      const backend = await registry.create(url, { extended: true });
      expect(backend).toBeInstanceOf(MongoBackend);
      expect(backend.url).toBe(url);
      expect(backend.extended).toBe(true);
      await backend.close();
    }
  });
});

describe('a server that does not answer', () => {
  it('fails a write with BackendStoreError and a read with BackendGetMetaError, the driver error as cause', async () => {
    const port = await freePort();
    const backend = new MongoBackend({ url: `mongodb://cq:hunter2@127.0.0.1:${port}/cq`, client: { serverSelectionTimeoutMS: 300 } });
    try {
      const write = await backend.markAsDone('t', 1).then(() => new Error('stored'), (e: unknown) => e as Error);
      expect(write).toBeInstanceOf(BackendStoreError);
      expect((write.cause as Error).name).toBe('MongoServerSelectionError');
      expect(write.message).not.toContain('hunter2');
      const read = await backend.getTaskMeta('t').then(() => new Error('read'), (e: unknown) => e as Error);
      expect(read.name).toBe('BackendGetMetaError');
    } finally {
      await backend.close();
    }
  });
});
