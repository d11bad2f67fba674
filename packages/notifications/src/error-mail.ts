/**
 * How and when a task's error e-mail is written (Celery 3/4 `celery.utils.mail.ErrorMail`). The
 * subject and body are templates whose `{key}` fields are filled from the {@link ErrorMailContext}
 * (`{{` and `}}` stand for literal braces; an unknown key is left as written), with Celery's wording.
 */
import type { ErrorMailContext } from './notification.js';

/** The end of Celery's body: arguments, traceback and the signature (`-- ` is the e-mail signature separator). */
const DETAILS = `Task was called with args: {args} kwargs: {kwargs}.

The contents of the full traceback was:

{traceback}

${'-- '}
Just to let you know,
cq at {hostname}.`;

/**
 * Subject and body of error e-mails, and the decision to send one. Subclass it (Celery's way) or pass
 * `{ subject, body }` to change the wording; override {@link ErrorMail.shouldSend} to filter.
 *
 * ```ts
 * class QuietMail extends ErrorMail {
 *   override shouldSend(context: ErrorMailContext, error: Error) { return !(error instanceof ValidationError); }
 * }
 * errorNotifications({ errorMail: new QuietMail({ subject: '[{hostname}] {name} failed: {exc}' }) });
 * ```
 */
export class ErrorMail {
  /** Celery's subject: `[{hostname}] Error: Task {name} ({id}): {exc}`. */
  subject = '[{hostname}] Error: Task {name} ({id}): {exc}';

  /** Celery's body, signed by cq instead of py-celery. */
  body = `Task {name} with id {id} raised exception:\n{exc}\n\n\n${DETAILS}`;

  /** Subject of a rate-limit digest (cq: Celery had no rate limit). */
  suppressedSubject = '[{hostname}] Error: Task {name}: {suppressed} more {type} failure(s) not e-mailed in {window}s';

  /** Body of a rate-limit digest; the context is the last failure left out. */
  suppressedBody = `Task {name} failed {suppressed} more time(s) with {type} in the last {window} seconds.
Those failures were not e-mailed one by one (rate limit); the last was task id {id}:\n{exc}\n\n\n${DETAILS}`;

  /** @param templates replace the default `subject`/`body` (Celery `ErrorMail(task, subject=, body=)`). */
  constructor(templates: { subject?: string; body?: string; suppressedSubject?: string; suppressedBody?: string } = {}) {
    if (templates.subject !== undefined) this.subject = templates.subject;
    if (templates.body !== undefined) this.body = templates.body;
    if (templates.suppressedSubject !== undefined) this.suppressedSubject = templates.suppressedSubject;
    if (templates.suppressedBody !== undefined) this.suppressedBody = templates.suppressedBody;
  }

  /**
   * Whether this failure is notified at all (Celery `should_send(context, exc)`), e-mail and webhook
   * alike. Default: true; the plugin's task and exception filters ran before.
   */
  shouldSend(_context: ErrorMailContext, _error: Error): boolean {
    return true;
  }

  /** The subject, on one line (whitespace runs become one space) and at most 255 characters. */
  formatSubject(context: ErrorMailContext, digest = false): string {
    const line = fillTemplate(digest ? this.suppressedSubject : this.subject, context).trim().replace(/\s+/g, ' ');
    return line.length > 255 ? `${line.slice(0, 254)}…` : line;
  }

  formatBody(context: ErrorMailContext, digest = false): string {
    return fillTemplate(digest ? this.suppressedBody : this.body, context).trim();
  }
}

/** Fills `{key}` fields of `template` from `context` (Python's `str.format` with named fields only). */
export function fillTemplate(template: string, context: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{|\}\}|\{(\w+)\}/g, (whole, key: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    return key !== undefined && Object.hasOwn(context, key) ? context[key]! : whole;
  });
}
