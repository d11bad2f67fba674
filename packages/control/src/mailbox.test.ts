import { describe, expect, it } from 'vitest';
import { Celery } from '@cq/app';
import { Mailbox, isAddressedTo } from './mailbox.js';

describe('Mailbox', () => {
  it('declares the entities exactly as kombu does', () => {
    const m = Mailbox.fromApp(new Celery('t'));
    expect(m.exchange.toDeclaration()).toEqual({ name: 'celery.pidbox', type: 'fanout', durable: false, autoDelete: false, arguments: {} });
    expect(m.replyExchange.toDeclaration()).toEqual({ name: 'reply.celery.pidbox', type: 'direct', durable: false, autoDelete: false, arguments: {} });
    const node = m.nodeQueue('w1@host');
    expect(node.toDeclaration()).toEqual({
      name: 'w1@host.celery.pidbox', durable: false, exclusive: false, autoDelete: true, arguments: { 'x-expires': 10000, 'x-message-ttl': 300000 },
    });
    expect(node.routingKey).toBe('');
    const reply = m.replyQueue('abc');
    expect(reply.name).toBe('abc.reply.celery.pidbox');
    expect(reply.routingKey).toBe('abc');
    expect(reply.toDeclaration().arguments).toEqual({ 'x-expires': 10000, 'x-message-ttl': 300000 });
  });

  it('follows control_exchange, control_queue_ttl and control_queue_expires', () => {
    const m = Mailbox.fromApp(new Celery('t', { control_exchange: 'ctl', control_queue_ttl: 5, control_queue_expires: 2 }));
    expect(m.exchange.name).toBe('ctl.pidbox');
    expect(m.nodeQueue('n@h').name).toBe('n@h.ctl.pidbox');
    expect(m.nodeQueue('n@h').arguments).toEqual({ 'x-expires': 2000, 'x-message-ttl': 5000 });
  });
});

describe('isAddressedTo', () => {
  it('handles destination lists, glob and pcre patterns, and broadcasts', () => {
    expect(isAddressedTo('w1@h', {})).toBe(true);
    expect(isAddressedTo('w1@h', { destination: ['w1@h', 'w2@h'] })).toBe(true);
    expect(isAddressedTo('w3@h', { destination: ['w1@h'] })).toBe(false);
    expect(isAddressedTo('w3@h', { pattern: 'w*@h', matcher: 'glob' })).toBe(true);
    expect(isAddressedTo('x3@h', { pattern: 'w?@h', matcher: 'glob' })).toBe(false);
    expect(isAddressedTo('w3@h', { pattern: 'w[0-9]', matcher: 'pcre' })).toBe(true);
    expect(isAddressedTo('aw3@h', { pattern: 'w[0-9]', matcher: 'pcre' })).toBe(false);
    // A pattern without a matcher is ignored (every node), as kombu.
    expect(isAddressedTo('zz@h', { pattern: 'w*' })).toBe(true);
  });
});
