/**
 * TLS helpers shared by the transports and stores that connect over TLS (AMQP, Redis):
 *
 * - {@link certReqs} reads Python's `ssl.CERT_*` values as Celery settings carry them
 *   (`'CERT_REQUIRED'`, `'required'`, `2`, …), for `broker_use_ssl.cert_reqs` and `ssl_cert_reqs`;
 * - {@link tlsFailure} turns Node's TLS errors into a {@link TlsError} whose message names the
 *   setting to fix (`broker_use_ssl.ca_certs: the server certificate of … is not signed by this CA`).
 *   A TlsError is a ConfigurationError: no retry loop retries it.
 *
 * | Node error code (examples)                                   | reason                       | setting named        |
 * |--------------------------------------------------------------|------------------------------|----------------------|
 * | SELF_SIGNED_CERT_IN_CHAIN, UNABLE_TO_VERIFY_LEAF_SIGNATURE   | `untrusted-certificate`      | the CA file          |
 * | ERR_TLS_CERT_ALTNAME_INVALID                                 | `hostname-mismatch`          | the host name check  |
 * | CERT_HAS_EXPIRED, CERT_NOT_YET_VALID                         | `certificate-expired`        | the CA file          |
 * | ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED                    | `client-certificate-required`| certfile and keyfile |
 * | ERR_SSL_TLSV1_ALERT_UNKNOWN_CA, …_BAD_CERTIFICATE            | `client-certificate-refused` | certfile and keyfile |
 * | ERR_SSL_WRONG_VERSION_NUMBER, ERR_SSL_PACKET_LENGTH_TOO_LONG | `not-tls`                    | the URL              |
 * | ERR_OSSL_X509_KEY_VALUES_MISMATCH, ERR_OSSL_PEM_*            | `bad-certificate-file`       | certfile and keyfile |
 * | any other ERR_SSL_*                                          | `handshake-failed`           | every TLS setting    |
 */
import { TlsError, type TlsFailureReason } from '../errors.js';

/** How the peer's certificate is checked: Python's `ssl.CERT_REQUIRED`, `CERT_OPTIONAL`, `CERT_NONE`. */
export type CertReqs = 'required' | 'optional' | 'none';

const CERT_REQS: Readonly<Record<string, CertReqs>> = {
  cert_required: 'required', required: 'required', '2': 'required',
  cert_optional: 'optional', optional: 'optional', '1': 'optional',
  cert_none: 'none', none: 'none', '0': 'none',
};

/**
 * Reads a `cert_reqs` value: `CERT_REQUIRED` / `CERT_OPTIONAL` / `CERT_NONE` (any case, also
 * `ssl.CERT_REQUIRED` as text), `required` / `optional` / `none` (kombu's `parse_ssl_cert_reqs`), or
 * Python's numbers 2 / 1 / 0. Returns null for anything else (the caller names the setting).
 */
export function certReqs(value: unknown): CertReqs | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  return CERT_REQS[String(value).trim().toLowerCase().replace(/^ssl\./, '')] ?? null;
}

/** The settings a TLS failure may point at, spelt as the user wrote them. */
export interface TlsSettingNames {
  /** The CA file, e.g. `broker_use_ssl.ca_certs` or `ssl_ca_certs in the broker URL`. */
  caCerts: string;
  /** The client certificate file, e.g. `broker_use_ssl.certfile`. */
  certfile: string;
  /** The client key file, e.g. `broker_use_ssl.keyfile`. */
  keyfile: string;
  /** Where the host name check is set, e.g. `broker_use_ssl.server_hostname`. */
  hostname: string;
  /** The URL setting, e.g. `broker_url`, for a server that does not speak TLS. */
  url: string;
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'INVALID_CA',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const CLIENT_REQUIRED = new Set(['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE']);
const CLIENT_REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE', 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED', 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED', 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
]);
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/**
 * The {@link TlsError} for `err` when it is a TLS handshake or certificate failure, else null (a
 * refused or dropped socket stays the caller's recoverable error).
 * @param names the settings to name in the message (see {@link TlsSettingNames}).
 * @param where `host:port` of the server, for the message (never a URL with a password).
 */
export function tlsFailure(err: unknown, names: TlsSettingNames, where: string): TlsError | null {
  const code = typeof (err as { code?: unknown } | null)?.code === 'string' ? (err as { code: string }).code : '';
  const detail = `${code}: ${firstLine(err)}`;
  const client = `${names.certfile} and ${names.keyfile}`;
  const make = (reason: TlsFailureReason, setting: string, message: string): TlsError => new TlsError(message, reason, setting, { cause: err });
  if (UNTRUSTED.has(code)) {
    return make('untrusted-certificate', names.caCerts,
      `${names.caCerts}: the server certificate of ${where} is not signed by this CA (${detail}); point ${names.caCerts} at the CA that signed it`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make('hostname-mismatch', names.hostname,
      `${names.hostname}: the server certificate of ${where} does not list this host name (${detail}); connect by a name the certificate lists, or fix ${names.hostname}`);
  }
  if (EXPIRED.has(code)) {
    return make('certificate-expired', names.caCerts, `the server certificate of ${where} has expired or is not valid yet (${detail}); renew it on the server`);
  }
  if (CLIENT_REQUIRED.has(code)) {
    return make('client-certificate-required', names.certfile, `missing client certificate: set ${client} (the server at ${where} requires one; ${detail})`);
  }
  if (CLIENT_REFUSED.has(code)) {
    return make('client-certificate-refused', names.certfile,
      `${names.certfile}: the server at ${where} refused the client certificate (${detail}); use one signed by a CA the server trusts, with its key in ${names.keyfile}`);
  }
  if (NOT_TLS.has(code)) {
    return make('not-tls', names.url, `${names.url}: the server at ${where} does not speak TLS on this port (${detail}); use its TLS port, or a URL without TLS`);
  }
  if (code.startsWith('ERR_OSSL_')) {
    return make('bad-certificate-file', names.certfile, `${client}: the client certificate or key cannot be used (${detail}); give a PEM certificate and its own private key`);
  }
  if (code.startsWith('ERR_SSL_')) {
    return make('handshake-failed', names.caCerts,
      `the TLS handshake with ${where} failed (${detail}); check ${names.caCerts}, ${client} against what the server expects`);
  }
  return null;
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // OpenSSL's: `80ACECB9C87F0000:error:0A00045C:SSL routines:<function>:<reason>:<source file>:<line>:…`; keep the reason.
  const line = (message.split('\n')[0] ?? '').replace(/^[0-9A-F]+:error:[0-9A-F]+:/, '').trim();
  return /^SSL routines:[^:]*:([^:]+)/.exec(line)?.[1] ?? line;
}
