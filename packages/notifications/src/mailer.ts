/**
 * Sends error e-mails over SMTP with nodemailer, configured by Celery's settings (Celery 3/4
 * `celery.utils.mail.Mailer` + `app.mail_admins`): `email_host`:`email_port`, SMTPS with
 * `email_use_ssl`, STARTTLS required with `email_use_tls` (and not attempted otherwise, as Celery's
 * smtplib client), a login when both `email_host_user` and `email_host_password` are set,
 * `email_timeout` seconds for the connection, the greeting and each socket wait. From `server_email`
 * to every address of `admins`. The transport is built on first use and rebuilt when those settings
 * change; {@link SmtpMailer.close} drops it (the next send builds it again).
 */
import { createTransport, type Transporter } from 'nodemailer';
import { MailSendError } from './errors.js';
import type { Admin, NotificationSettings } from './settings.js';

/** What replaces a secret in messages (Celery's mask). */
const MASK = '********';

/** Recipients of `admins`: `[name, address]` pairs as nodemailer address objects, bare addresses as they are. */
export function adminAddresses(admins: readonly Admin[]): Array<{ name: string; address: string } | string> {
  return admins.map((a) => (typeof a === 'string' ? a : { name: a[0], address: a[1] }));
}

export class SmtpMailer {
  private transport: Transporter | null = null;
  private transportKey = '';

  /**
   * Sends one plain-text e-mail to the admins. Rejects with {@link MailSendError} (no secret in its
   * message) when the server cannot be reached, refuses the login or the message.
   */
  async send(settings: NotificationSettings, subject: string, text: string): Promise<void> {
    const transport = this.transportFor(settings);
    try {
      await transport.sendMail({ from: settings.server_email, to: adminAddresses(settings.admins), subject, text });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const secret = settings.email_host_password;
      const masked = secret ? reason.split(secret).join(MASK) : reason;
      throw new MailSendError(`could not send the error e-mail through smtp://${settings.email_host}:${settings.email_port}: ${masked}`, { cause: error });
    }
  }

  /** Closes the transport's connections, if any. */
  close(): void {
    this.transport?.close();
    this.transport = null;
    this.transportKey = '';
  }

  private transportFor(s: NotificationSettings): Transporter {
    const auth = s.email_host_user && s.email_host_password ? { user: s.email_host_user, pass: s.email_host_password } : undefined;
    const key = JSON.stringify([s.email_host, s.email_port, s.email_use_ssl, s.email_use_tls, s.email_timeout, auth?.user, auth?.pass]);
    if (this.transport && key === this.transportKey) return this.transport;
    this.close();
    const timeoutMs = Math.max(1, s.email_timeout * 1000);
    this.transport = createTransport({
      host: s.email_host,
      port: s.email_port,
      secure: s.email_use_ssl,
      requireTLS: s.email_use_tls,
      ignoreTLS: !s.email_use_tls,
      ...(auth ? { auth } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      logger: false,
    });
    this.transportKey = key;
    return this.transport;
  }
}
