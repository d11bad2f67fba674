/**
 * Why a TLS server reset the connection. With TLS 1.3 a server that refuses the client certificate
 * (none given, or signed by a CA it does not trust) sends its alert only after the handshake, and
 * redis-server closes at once: a client that already wrote its first command (ioredis sends AUTH,
 * SELECT, … on connect) usually sees `ECONNRESET`, the alert lost with the reset. The probe opens
 * one more TLS connection with the same options, writes nothing, and reports the error the server's
 * alert raises (e.g. `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`), or null when the server keeps the
 * connection open or closes it without an alert (then the reset was something else).
 */
import { connect, type ConnectionOptions } from 'node:tls';

/** True for the socket errors a refused client certificate shows up as after a TLS 1.3 handshake. */
export function isResetAfterHandshake(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * Connects to `host:port` with `options`, writes nothing, and resolves with the error the server's
 * reaction raised within `timeoutMs` (ms, default 2000), or null. Never rejects.
 */
export function probeTls(host: string, port: number, options: ConnectionOptions, timeoutMs = 2000): Promise<Error | null> {
  return new Promise((resolve) => {
    const socket = connect({ ...options, host, port });
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(err);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    socket.once('error', (err: Error) => done(err));
    socket.once('close', () => done(null));
    socket.resume(); // read, so that an alert after the handshake is seen
  });
}
