import { describe, expect, it } from 'vitest';
import { BackendConfigurationError, UnsafePickleError } from '../errors.js';
import { isResultTuple, resultObjectFromTuple, resultTupleFromObject } from './group-result-pickle.js';
import { tablesFor } from './model.js';
import { loadsPickle } from './pickle-reader.js';
import { dumpsPickle } from './pickle-writer.js';
import { PickleCall, PickleGlobal } from './python-values.js';
import { decodeGroupResult, decodeTaskResult, encodeGroupResult, encodeTaskResult } from './result-cell.js';
import { databaseSettings, poolLimits } from './settings.js';
import { parseDatabaseUrl, parseDialectUrl, redact } from './url.js';
import type { ResultTuple } from '../types.js';

const legacy = (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown;

describe('database URLs (SQLAlchemy make_url with Celery\'s db+)', () => {
  it('splits every part, percent-decoding user and password', () => {
    expect(parseDatabaseUrl('db+postgresql+psycopg2://us%3Aer:p%40ss:w@[::1]:6543/my%20db?sslmode=require&a=1&a=2')).toEqual({
      dialect: 'postgresql', driver: 'psycopg2', username: 'us:er', password: 'p@ss:w', host: '::1', port: 6543, database: 'my db',
      query: { sslmode: 'require', a: '2' },
    });
    expect(parseDatabaseUrl('db+mysql://root@localhost/test')).toMatchObject({ dialect: 'mysql', driver: null, password: null, port: null });
    expect(parseDatabaseUrl('db+sqlite:////var/lib/r.db')).toMatchObject({ dialect: 'sqlite', host: null, database: '/var/lib/r.db' });
    expect(() => parseDatabaseUrl('not a url')).toThrow(/is not a database URL/);
    expect(() => parseDatabaseUrl('db+mysql://h:port/x')).toThrow(/port/);
    expect(redact('db+mysql://root:secret@host/db')).toBe('db+mysql://root:***@host/db');
  });

  it('reads a store\'s db+<dialect> URL and refuses the rest with the store\'s error, naming its form', () => {
    class StoreUrlError extends BackendConfigurationError {}
    const options = { dialects: ['mysql', 'mariadb'], name: 'MySQL', form: 'db+mysql://user:password@host:port/database', error: StoreUrlError };
    const fix = "write db+mysql://user:password@host:port/database (Celery's database backend URL)";
    expect(parseDialectUrl('db+mariadb+pymysql://root@h/test', options)).toMatchObject({ dialect: 'mariadb', driver: 'pymysql', database: 'test' });
    for (const url of ['mysql://root:secret@h/test', 'db+postgresql://root:secret@h/test']) {
      expect(() => parseDialectUrl(url, options)).toThrow(expect.objectContaining({
        constructor: StoreUrlError, message: `${JSON.stringify(redact(url))} is not a MySQL result backend URL: ${fix}`,
      }));
      expect(() => parseDialectUrl(url, options)).not.toThrow(/secret/);
    }
    expect(() => parseDialectUrl('db+mysql://h:port/x', options)).toThrow(expect.objectContaining({
      constructor: StoreUrlError, message: `the port of "db+mysql://h:port/x" is not a number: "port"; ${fix}`, cause: expect.any(BackendConfigurationError),
    }));
  });
});

describe('database settings', () => {
  it('reads Celery\'s settings, options first', () => {
    const settings = { database_table_names: { task: 't' }, database_table_schemas: { task: 's' }, database_engine_options: { pool_size: 1 } };
    expect(databaseSettings({ settings })).toEqual(settings);
    expect(databaseSettings({ settings, tableNames: { group: 'g' } }).database_table_names).toEqual({ group: 'g' });
    expect(tablesFor({ task: 't' }, { group: 's' })).toEqual({
      task: { schema: null, name: 't', sequence: 'task_id_sequence' }, group: { schema: 's', name: 'celery_tasksetmeta', sequence: 'taskset_id_sequence' },
    });
    expect(poolLimits({})).toEqual({ max: 15, acquireTimeoutMs: 30_000, maxLifetimeSeconds: 0 });
    expect(poolLimits({ pool_size: 2, max_overflow: 0, pool_timeout: 3, pool_recycle: 60 })).toEqual({ max: 2, acquireTimeoutMs: 3000, maxLifetimeSeconds: 60 });
  });
});

describe('result cells', () => {
  it('pickles an exception state\'s exc_message as a tuple, and reads JSON cells of cq 0.1', () => {
    const info = { exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' };
    const cell = encodeTaskResult(info, 'FAILURE');
    expect(cell.includes(Buffer.from([0x85]))).toBe(true); // TUPLE1
    expect(decodeTaskResult(cell, legacy)).toEqual(info);
    expect(decodeTaskResult(encodeTaskResult({ exc_type: 'E', exc_message: 'bare' }, 'RETRY'), legacy)).toEqual({ exc_type: 'E', exc_message: ['bare'], exc_module: null });
    expect(decodeTaskResult(Buffer.from('{"a":1}'), legacy)).toEqual({ a: 1 });
  });

  it('stores a group as celery.result.GroupResult of AsyncResults and reads the tuple back', () => {
    const tuple: ResultTuple = [['g', null], [[['a', null], null], [['b', [['parent', null], null]], null], [['inner', null], [[['c', null], null]]]]];
    expect(isResultTuple(tuple)).toBe(true);
    const object = resultObjectFromTuple(tuple);
    expect(object.is('celery.result', 'GroupResult')).toBe(true);
    expect(decodeGroupResult(encodeGroupResult(tuple), legacy)).toEqual(tuple);
    expect(decodeGroupResult(encodeGroupResult({ not: 'a tuple' }), legacy)).toEqual({ not: 'a tuple' });
    expect(decodeGroupResult(Buffer.from(JSON.stringify(tuple)), legacy)).toEqual(tuple);
  });

  it('refuses a group cell holding any other object', () => {
    const evil = dumpsPickle(new PickleCall(new PickleGlobal('posix', 'system'), ['touch x']));
    expect(() => decodeGroupResult(evil, legacy)).toThrow(UnsafePickleError);
    const hidden = dumpsPickle([1, new PickleCall(new PickleGlobal('posix', 'system'), ['touch x'])]);
    expect(() => decodeGroupResult(hidden, legacy)).toThrow(/posix.system/);
    const child = dumpsPickle(new PickleCall(new PickleGlobal('celery.result', 'GroupResult'), ['g', [new PickleCall(new PickleGlobal('os', 'system'), [])]]));
    expect(() => resultTupleFromObject(loadsPickle(child, { mode: 'symbolic' }))).toThrow(/os.system/);
    expect(() => loadsPickle(evil)).toThrow(UnsafePickleError);
  });
});
