/**
 * Type tests (checked by `tsc --noEmit`): with @cq/notifications in the program, Celery 3's error
 * e-mail settings are part of `CelerySettings` and `sendErrorEmails` (Celery `Task.send_error_emails`)
 * of `TaskOptions`; mistyped ones are refused.
 */
import { expectTypeOf } from 'vitest';
import { Celery } from '@cq/app';
import { notificationSettings, type Admin } from './index.js';

const app = new Celery('types', {
  task_send_error_emails: true, admins: [['Ops', 'ops@example.com'], 'dev@example.com'], server_email: 'cq@example.com',
  email_host: 'smtp.example.com', email_port: 587, email_host_user: 'cq', email_host_password: 'secret', email_timeout: 5,
  email_use_ssl: false, email_use_tls: true, email_charset: 'utf-8',
});
app.task('types.quiet', () => 1, { sendErrorEmails: false });
expectTypeOf(app.conf.email_port).toEqualTypeOf<number | undefined>();
expectTypeOf(notificationSettings(app.conf).admins).toEqualTypeOf<readonly Admin[]>();
expectTypeOf(notificationSettings(app.conf).email_host_password).toEqualTypeOf<string | null>();

// @ts-expect-error the port is a number
new Celery('types', { email_port: '25' });
// @ts-expect-error admins are addresses or [name, address] pairs
new Celery('types', { admins: [['Ops']] });
// @ts-expect-error a boolean
app.task('types.loud', () => 1, { sendErrorEmails: 'yes' });
