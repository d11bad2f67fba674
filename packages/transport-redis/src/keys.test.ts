import { describe, expect, it } from 'vitest';
import { KeyLayout, topicPattern } from './keys.js';

describe('KeyLayout', () => {
  const layout = new KeyLayout();

  it('buckets priorities into kombu steps [0, 3, 6, 9]', () => {
    expect([0, 1, 2, 3, 5, 6, 8, 9, 12, -4, 2.9, Number.NaN, '7', undefined].map((p) => layout.step(p))).toEqual([0, 0, 0, 3, 3, 6, 6, 9, 9, 0, 0, 0, 0, 0]);
    expect(layout.queueFor('celery', 0)).toBe('celery');
    expect(layout.queueFor('celery', 5)).toBe('celery\x06\x163');
    expect(layout.queueFor('celery', 7)).toBe('celery\x06\x166');
    expect(layout.priorityKeys('q')).toEqual(['q', 'q\x06\x163', 'q\x06\x166', 'q\x06\x169']);
  });

  it('applies custom steps, separator and prefix', () => {
    const custom = new KeyLayout({ prefix: 'app:', sep: ':', steps: [5, 0] });
    expect(custom.priorityKeys('q')).toEqual(['q', 'q:5']);
    expect(custom.queueFor('q', 4)).toBe('q');
    expect(custom.key(custom.bindingKey('ex'))).toBe('app:_kombu.binding.ex');
  });

  it('names the keys of messages parked until their ETA per queue, behind the prefix', () => {
    expect(layout.etaIndexKey('celery')).toBe('_cq.eta.index\x06\x16celery');
    expect(layout.etaMessagesKey('celery')).toBe('_cq.eta.messages\x06\x16celery');
    const custom = new KeyLayout({ prefix: 'app:', sep: ':' });
    expect(custom.key(custom.etaIndexKey('a.b'))).toBe('app:_cq.eta.index:a.b');
  });

  it('writes and parses binding members', () => {
    expect(layout.bindingMember('celery', '', 'celery')).toBe('celery\x06\x16\x06\x16celery');
    expect(layout.parseBindingMember('worker.#\x06\x16\x06\x16celeryev.x')).toEqual({ routingKey: 'worker.#', pattern: '', queue: 'celeryev.x' });
    expect(layout.parseBindingMember('garbage')).toBeNull();
  });
});

describe('topicPattern', () => {
  it('produces kombu key_to_pattern text', () => {
    expect(topicPattern('stock.*.eur')).toBe('^stock\\..*?[^\\.]\\.eur$');
    expect(topicPattern('worker.#')).toBe('^worker\\..*?$');
    expect(topicPattern('a-b_c')).toBe('^a\\-b\\_c$');
  });
});
