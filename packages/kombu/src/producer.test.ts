import { describe, expect, it } from 'vitest';
import { Connection } from './connection.js';
import { Exchange, Queue } from './entity.js';
import { maybeDeclare } from './producer.js';

describe('maybeDeclare', () => {
  it('declares an entity once per channel, also when many first publishes race', async () => {
    const conn = await new Connection('memory://maybe-declare').connect();
    const channel = await conn.channel();
    let declares = 0;
    const declareQueue = channel.declareQueue.bind(channel);
    channel.declareQueue = async (q) => { declares += 1; await new Promise((r) => setTimeout(r, 10)); return declareQueue(q); };
    const queue = new Queue('md', { exchange: new Exchange('md') });
    await Promise.all(Array.from({ length: 100 }, () => maybeDeclare(queue, channel)));
    await maybeDeclare(queue, channel);
    expect(declares).toBe(1);
    await conn.close();
  });

  it('forgets a failed declaration, so the next publish declares again', async () => {
    const conn = await new Connection('memory://maybe-declare-fail').connect();
    const channel = await conn.channel();
    let calls = 0;
    const declareQueue = channel.declareQueue.bind(channel);
    channel.declareQueue = async (q) => { calls += 1; if (calls === 1) throw new Error('broker said no'); return declareQueue(q); };
    const queue = new Queue('mdf', { exchange: new Exchange('mdf') });
    await expect(maybeDeclare(queue, channel)).rejects.toThrow('broker said no');
    await maybeDeclare(queue, channel);
    expect(calls).toBe(2);
    await conn.close();
  });
});
