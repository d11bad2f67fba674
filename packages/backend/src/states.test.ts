import { describe, expect, it } from 'vitest';
import { EXCEPTION_STATES, PROPAGATE_STATES, READY_STATES, UNREADY_STATES, outranks, precedence } from './states.js';

describe('states', () => {
  it('groups the states as Celery does', () => {
    expect([...READY_STATES].sort()).toEqual(['FAILURE', 'REVOKED', 'SUCCESS']);
    expect([...UNREADY_STATES].sort()).toEqual(['PENDING', 'RECEIVED', 'REJECTED', 'RETRY', 'STARTED']);
    expect([...EXCEPTION_STATES].sort()).toEqual(['FAILURE', 'RETRY', 'REVOKED']);
    expect([...PROPAGATE_STATES].sort()).toEqual(['FAILURE', 'REVOKED']);
  });

  it('orders precedence SUCCESS, FAILURE, custom, REVOKED, STARTED, RECEIVED, REJECTED, RETRY, PENDING', () => {
    const order = ['SUCCESS', 'FAILURE', 'PROGRESS', 'REVOKED', 'STARTED', 'RECEIVED', 'REJECTED', 'RETRY', 'PENDING'];
    expect(order.map(precedence)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(precedence('ANYTHING_ELSE')).toBe(precedence('PROGRESS'));
    expect(outranks('SUCCESS', 'PENDING')).toBe(true);
    expect(outranks('PROGRESS', 'STARTED')).toBe(true);
    expect(outranks('RETRY', 'STARTED')).toBe(false);
  });
});
