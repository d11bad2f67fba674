import { describe, expect, it } from 'vitest';
import { Connection } from '../connection.js';
import { ConfigurationError } from '../errors.js';
import { checkFailoverStrategy, nextFailoverIndex, splitBrokerUrls } from './failover.js';

describe('broker failover lists', () => {
  it('splits a ;-separated list of URLs, and leaves a URL whose own text holds ; whole', () => {
    expect(splitBrokerUrls('amqp://a//; amqp://b// ;amqp://c//;')).toEqual(['amqp://a//', 'amqp://b//', 'amqp://c//']);
    expect(splitBrokerUrls('amqp://a//')).toEqual(['amqp://a//']);
    const connectionString = 'azureblockblob://DefaultEndpointsProtocol=https;AccountName=x;AccountKey=y';
    expect(splitBrokerUrls(connectionString)).toEqual([connectionString]);
  });

  it('a Connection uses the first URL and hands every URL, in order, to its transport', () => {
    const conn = new Connection('amqp://u:p@a:5672//;amqp://u:p@b:5673//', { failoverStrategy: 'shuffle' });
    expect(conn.url.hostname).toBe('a');
    expect(conn.alternates.map((u) => `${u.hostname}:${u.port}`)).toEqual(['a:5672', 'b:5673']);
    expect(conn.failoverStrategy).toBe('shuffle');
    expect(conn.asUri()).toBe('amqp://u:**@a:5672//');
    expect(new Connection('memory://').alternates).toHaveLength(1);
  });

  it('takes round-robin (the default) and shuffle, and refuses any other strategy naming the setting', () => {
    expect(checkFailoverStrategy(undefined)).toBe('round-robin');
    expect(checkFailoverStrategy('shuffle')).toBe('shuffle');
    expect(() => new Connection('memory://', { failoverStrategy: 'random' as 'shuffle' })).toThrow(ConfigurationError);
    expect(() => checkFailoverStrategy('random')).toThrow(/broker_failover_strategy must be 'round-robin' or 'shuffle', got "random"/);
  });

  it('round-robin walks the list in order; shuffle always moves to another URL', () => {
    expect([0, 1, 2].map((i) => nextFailoverIndex(i, 3, 'round-robin'))).toEqual([1, 2, 0]);
    expect(nextFailoverIndex(0, 1, 'round-robin')).toBe(0);
    for (const r of [0, 0.49, 0.5, 0.99]) expect(nextFailoverIndex(1, 3, 'shuffle', () => r)).not.toBe(1);
    expect(new Set([0, 0.5].map((r) => nextFailoverIndex(1, 3, 'shuffle', () => r)))).toEqual(new Set([2, 0]));
  });
});
