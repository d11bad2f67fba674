import { describe, expect, it } from 'vitest';
import { ErrorMail, fillTemplate } from './error-mail.js';
import { mailContext, failureNotification, suppressedDigest } from './notification.js';

class ValueError extends Error {
  override name = 'ValueError';
}

const failure = () => {
  const error = new ValueError('bad\nvalue');
  error.stack = 'ValueError: bad\nvalue\n    at charge (tasks.ts:3:9)';
  return failureNotification({
    app: 'proj', hostname: 'celery@w1', taskName: 'proj.charge', taskId: 'id-1', args: [1, 'a'], kwargs: { big: 10n ** 20n },
    error, traceback: error.stack, at: new Date('2026-12-07T10:00:00.000Z'),
  });
};

describe('ErrorMail', () => {
  it("writes Celery's subject and body", () => {
    const mail = new ErrorMail();
    const context = mailContext(failure());
    expect(mail.formatSubject(context)).toBe("[celery@w1] Error: Task proj.charge (id-1): ValueError('bad\\nvalue')");
    expect(mail.formatBody(context)).toBe([
      'Task proj.charge with id id-1 raised exception:',
      "ValueError('bad\\nvalue')",
      '',
      '',
      "Task was called with args: (1, 'a') kwargs: {'big': 100000000000000000000}.",
      '',
      'The contents of the full traceback was:',
      '',
      'ValueError: bad',
      'value',
      '    at charge (tasks.ts:3:9)',
      '',
      '-- ',
      'Just to let you know,',
      'cq at celery@w1.',
    ].join('\n'));
  });

  it('writes the digest of a rate-limit window from its last failure', () => {
    const mail = new ErrorMail();
    const context = mailContext(suppressedDigest(failure(), 4, 60));
    expect(mail.formatSubject(context, true)).toBe('[celery@w1] Error: Task proj.charge: 4 more ValueError failure(s) not e-mailed in 60s');
    expect(mail.formatBody(context, true).split('\n').slice(0, 3)).toEqual([
      'Task proj.charge failed 4 more time(s) with ValueError in the last 60 seconds.',
      'Those failures were not e-mailed one by one (rate limit); the last was task id id-1:',
      "ValueError('bad\\nvalue')",
    ]);
  });

  it('takes templates; keeps the subject on one line of at most 255 characters', () => {
    const mail = new ErrorMail({ subject: '{name}\n  failed:\t{exc} {{literal}} {unknown}', body: '{type}: {traceback}' });
    const context = mailContext(failure());
    expect(mail.formatSubject(context)).toBe("proj.charge failed: ValueError('bad\\nvalue') {literal} {unknown}");
    expect(mail.formatBody(context)).toBe('ValueError: ValueError: bad\nvalue\n    at charge (tasks.ts:3:9)');
    const long = new ErrorMail({ subject: 'x'.repeat(300) }).formatSubject(context);
    expect(long).toHaveLength(255);
    expect(long.endsWith('x…')).toBe(true);
  });

  it('fills only named fields, as str.format with a mapping', () => {
    expect(fillTemplate('{a}{{b}}{c}}', { a: '1', c: '{a}' })).toBe('1{b}{a}}');
    expect(fillTemplate('{toString} {__proto__}', {})).toBe('{toString} {__proto__}');
  });
});
