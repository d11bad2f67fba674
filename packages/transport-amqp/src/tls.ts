/**
 * TLS to RabbitMQ as Celery configures it (`broker_use_ssl`, kombu `Connection(ssl=…)`, py-amqp's
 * `sslopts`), turned into the socket options amqplib hands to `tls.connect`.
 *
 * TLS is on for `amqps://`, `?ssl=true`, or `broker_use_ssl` set (true, or a dict); the port then
 * defaults to 5671. Dict keys, as py-amqp reads them:
 *
 * | key               | meaning                                                   | Node option          |
 * |-------------------|-----------------------------------------------------------|----------------------|
 * | `ca_certs`        | PEM file of the CAs to trust (default: Node's bundled CAs) | `ca`                 |
 * | `certfile`        | PEM file of the client certificate (may hold the key too)  | `cert`               |
 * | `keyfile`         | PEM file of its private key                               | `key`                |
 * | `cert_reqs`       | `CERT_REQUIRED` (default) / `CERT_OPTIONAL` / `CERT_NONE`, or 2 / 1 / 0 | `rejectUnauthorized` |
 * | `server_hostname` | the name to check the certificate against and send as SNI; `None`/null: the URL's host | `servername`, `checkServerIdentity` |
 * | `ciphers`         | OpenSSL cipher list                                       | `ciphers`            |
 * | `check_hostname`  | cq: false keeps the chain check but not the name check    | `checkServerIdentity`|
 *
 * `ssl_version`, `do_handshake_on_connect` and `suppress_ragged_eofs` are accepted and ignored.
 * Where cq differs from py-amqp: the certificate's host name is checked unless `cert_reqs` is none
 * or `check_hostname` is false (py-amqp checks it only when `server_hostname` is given), as Node does.
 * Files are read once, when the transport is created.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { certReqs, closestName, ConfigurationError, type BrokerSsl, type TlsSettingNames } from '@cq/kombu';

/** Celery's `broker_use_ssl` dict for AMQP (py-amqp `sslopts`); see the module doc. */
export interface AmqpSslSettings {
  ca_certs?: string;
  certfile?: string;
  keyfile?: string;
  cert_reqs?: string | number;
  server_hostname?: string | null;
  ciphers?: string;
  check_hostname?: boolean;
  ssl_version?: unknown;
  do_handshake_on_connect?: unknown;
  suppress_ragged_eofs?: unknown;
}

const KEYS = ['ca_certs', 'certfile', 'keyfile', 'cert_reqs', 'server_hostname', 'ciphers', 'check_hostname', 'ssl_version', 'do_handshake_on_connect', 'suppress_ragged_eofs'];

/** The settings a TLS failure names, as Celery spells them. */
export const AMQP_TLS_NAMES: TlsSettingNames = {
  caCerts: 'broker_use_ssl.ca_certs', certfile: 'broker_use_ssl.certfile', keyfile: 'broker_use_ssl.keyfile',
  hostname: 'broker_use_ssl.server_hostname', url: 'broker_url',
};

/** True when `ssl` (Celery `broker_use_ssl`) asks for TLS. */
export function sslRequested(ssl: BrokerSsl | undefined): boolean {
  return ssl === true || (typeof ssl === 'object' && ssl !== null);
}

/**
 * The `tls.connect` options for `ssl` against `hostname` (the URL's host).
 * @throws ConfigurationError for an unknown key (naming the closest), a bad `cert_reqs`, or a file
 *   that cannot be read (naming the setting).
 */
export function tlsSocketOptions(ssl: BrokerSsl | undefined, hostname: string): ConnectionOptions {
  const settings: Readonly<Record<string, unknown>> = typeof ssl === 'object' && ssl !== null ? ssl : {};
  for (const key of Object.keys(settings)) {
    if (!KEYS.includes(key)) {
      const closest = closestName(key.replace(/^ssl_/, ''), KEYS);
      throw new ConfigurationError(`broker_use_ssl: unknown key ${key} for an AMQP broker${closest ? `: did you mean ${closest}?` : ''} (known: ${KEYS.join(', ')})`);
    }
  }
  const reqs = settings['cert_reqs'] === undefined || settings['cert_reqs'] === null ? 'required' : certReqs(settings['cert_reqs']);
  if (!reqs) {
    throw new ConfigurationError(`broker_use_ssl.cert_reqs ${JSON.stringify(settings['cert_reqs'])} is not one of CERT_REQUIRED, CERT_OPTIONAL, CERT_NONE (or 2, 1, 0)`);
  }
  const given = settings['server_hostname'];
  const expected = typeof given === 'string' && given !== '' ? given : hostname;
  const out: ConnectionOptions = { rejectUnauthorized: reqs !== 'none' };
  if (isIP(expected) === 0) out.servername = expected;
  const checkName = reqs !== 'none' && settings['check_hostname'] !== false && settings['check_hostname'] !== 'false';
  out.checkServerIdentity = checkName ? (_host, cert) => checkServerIdentity(expected, cert) : () => undefined;
  const ca = file(settings, 'ca_certs');
  const cert = file(settings, 'certfile');
  const key = file(settings, 'keyfile') ?? cert; // py-amqp: a certfile alone holds the key too
  if (ca) out.ca = ca;
  if (cert) out.cert = cert;
  if (key && cert) out.key = key;
  if (typeof settings['ciphers'] === 'string') out.ciphers = settings['ciphers'];
  return out;
}

function file(settings: Readonly<Record<string, unknown>>, key: 'ca_certs' | 'certfile' | 'keyfile'): Buffer | null {
  const value = settings[key];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new ConfigurationError(`broker_use_ssl.${key} must be a file path, got ${JSON.stringify(value)}`);
  try {
    return readFileSync(value);
  } catch (err) {
    throw new ConfigurationError(`broker_use_ssl.${key}: the file ${JSON.stringify(value)} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)}); fix the path`, { cause: err });
  }
}
