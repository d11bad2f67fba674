import { describe, expect, it } from 'vitest';
import { ConfigurationError, TlsError } from '../errors.js';
import { certReqs, tlsFailure, type TlsSettingNames } from './tls.js';

const NAMES: TlsSettingNames = {
  caCerts: 'broker_use_ssl.ca_certs', certfile: 'broker_use_ssl.certfile', keyfile: 'broker_use_ssl.keyfile',
  hostname: 'broker_use_ssl.server_hostname', url: 'broker_url',
};
const nodeError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

describe('certReqs', () => {
  it('reads the spellings of Celery, kombu and Python ssl', () => {
    expect(['CERT_REQUIRED', 'required', 2, '2', 'ssl.CERT_REQUIRED'].map(certReqs)).toEqual(Array(5).fill('required'));
    expect(['CERT_OPTIONAL', 'optional', 1].map(certReqs)).toEqual(Array(3).fill('optional'));
    expect(['CERT_NONE', 'None', 0].map(certReqs)).toEqual(Array(3).fill('none'));
    expect([undefined, 'maybe', 3, true].map(certReqs)).toEqual([null, null, null, null]);
  });
});

describe('tlsFailure', () => {
  it('names the CA setting when the server certificate is not trusted', () => {
    const err = tlsFailure(nodeError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'), NAMES, '127.0.0.1:5671')!;
    expect(err).toBeInstanceOf(TlsError);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err).toMatchObject({ code: 'CQ_KOMBU_TLS', reason: 'untrusted-certificate', setting: 'broker_use_ssl.ca_certs' });
    expect(err.message).toMatch(/^broker_use_ssl\.ca_certs: the server certificate of 127\.0\.0\.1:5671 is not signed by this CA \(SELF_SIGNED_CERT_IN_CHAIN/);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('asks for the client certificate when the server requires one, without OpenSSL noise', () => {
    const raw = '80ACECB9C87F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:../deps/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 116\n';
    const err = tlsFailure(nodeError('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', raw), NAMES, 'h:5671')!;
    expect(err).toMatchObject({ reason: 'client-certificate-required', setting: 'broker_use_ssl.certfile' });
    expect(err.message).toMatch(/^missing client certificate: set broker_use_ssl\.certfile and broker_use_ssl\.keyfile \(the server at h:5671 requires one; ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: tlsv13 alert certificate required\)$/);
    expect(err.message).not.toContain('80ACECB9C87F0000');
  });

  it('classifies host names, expiry, refused client certificates, plain servers and bad files', () => {
    const reason = (code: string) => tlsFailure(nodeError(code, 'x'), NAMES, 'h:1')?.reason;
    expect(reason('ERR_TLS_CERT_ALTNAME_INVALID')).toBe('hostname-mismatch');
    expect(reason('CERT_HAS_EXPIRED')).toBe('certificate-expired');
    expect(reason('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA')).toBe('client-certificate-refused');
    expect(reason('ERR_SSL_WRONG_VERSION_NUMBER')).toBe('not-tls');
    expect(reason('ERR_OSSL_X509_KEY_VALUES_MISMATCH')).toBe('bad-certificate-file');
    expect(reason('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE')).toBe('handshake-failed');
  });

  it('leaves socket failures to the caller (they may be retried)', () => {
    expect(tlsFailure(nodeError('ECONNREFUSED', 'connect ECONNREFUSED'), NAMES, 'h:1')).toBeNull();
    expect(tlsFailure(new Error('Connection is closed.'), NAMES, 'h:1')).toBeNull();
    expect(tlsFailure(null, NAMES, 'h:1')).toBeNull();
  });
});
