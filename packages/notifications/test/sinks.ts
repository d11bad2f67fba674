/**
 * Real servers the notification tests send to, in process on 127.0.0.1 (port 0: the OS picks a free
 * one): an SMTP server (smtp-server) that requires a login and keeps each message it accepts, and an
 * HTTP server (node:http) that keeps each request and answers as told.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  user: string | undefined;
  from: string | undefined;
  to: string[];
  /** Header names lowercased, folded lines unfolded. */
  headers: Record<string, string>;
  subject: string;
  /** The body, quoted-printable decoded. */
  text: string;
}

export interface SmtpSink {
  port: number;
  mails: ReceivedMail[];
  /** Logins refused (wrong user or password). */
  refusedLogins: number;
  close(): Promise<void>;
}

/**
 * An SMTP server on 127.0.0.1 accepting only `user`/`pass` (AUTH PLAIN/LOGIN over plain TCP, no
 * STARTTLS offered). With `reject`, every message is refused with that 5xx reply after its data.
 */
export async function startSmtpSink(options: { user: string; pass: string; reject?: string }): Promise<SmtpSink> {
  const mails: ReceivedMail[] = [];
  const sink: SmtpSink = { port: 0, mails, refusedLogins: 0, close: async () => {} };
  const server = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.user && auth.password === options.pass) return callback(null, { user: auth.username });
      sink.refusedLogins += 1;
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (options.reject) return callback(Object.assign(new Error(options.reject), { responseCode: 550 }));
        const from = session.envelope.mailFrom;
        mails.push({
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
          user: session.user as string | undefined,
          from: from ? from.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        return callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.port = (server.server.address() as AddressInfo).port;
  sink.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return sink;
}

/** Headers and quoted-printable body of a raw RFC 5322 message (enough for what nodemailer writes here). */
function parseMail(raw: string): { headers: Record<string, string>; subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n(?=[ \t])/g, '');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    body = Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return { headers, subject: headers['subject'] ?? '', text: body.replace(/\r\n/g, '\n').trimEnd() };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

export interface HttpSink {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** An HTTP server keeping each request (JSON bodies parsed); answers `status` (default 204), or never with `hang`. */
export async function startHttpSink(options: { status?: number; hang?: boolean } = {}): Promise<HttpSink> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text ? JSON.parse(text) as unknown : null });
      if (!options.hang) res.writeHead(options.status ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
