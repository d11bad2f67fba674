/**
 * X.509 certificates and the certificate store of the `auth` serializer (Celery
 * `celery/security/certificate.py`), on `node:crypto`'s `X509Certificate`.
 *
 * A certificate's id — what a signed message names as its signer — is Celery's: the values of the
 * issuer's attributes in certificate order, joined with spaces, then a space and the serial number
 * in decimal (`get_id()`: `' '.join(x.value for x in issuer) + ' ' + str(serial)`). The issuer and
 * serial are read from the DER itself, so values holding commas or non-ASCII text come out exactly as
 * Python's `cryptography` gives them (Node's `x509.issuer` text escapes them).
 *
 * The store (Celery `FSCertStore`) holds the certificates of the trusted **signers** (not CAs: no
 * chain is built), loaded from a glob (`security_cert_store`). Unlike Celery, a certificate that is
 * expired or not yet valid stays in the store: its messages are refused with that reason at the time
 * they arrive, so one stale file does not stop a worker from starting and a certificate that expires
 * while the worker runs stops being trusted then, not at the next restart.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SecurityError } from '../errors.js';
import { globFiles } from '../utils/glob.js';

interface Tlv { tag: number; start: number; end: number }

/** One DER tag-length-value at `offset` of `der`. */
function tlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > der.length) throw new Error('truncated DER');
  return { tag, start, end: start + length };
}

/** The children of a constructed DER value. */
function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.start; at < parent.end; at = out[out.length - 1]!.end) out.push(tlv(der, at));
  return out;
}

/** An attribute value as `cryptography` decodes it (`NameAttribute.value`). */
function attributeText(der: Buffer, value: Tlv): string {
  const bytes = der.subarray(value.start, value.end);
  switch (value.tag) {
    case 0x0c: return bytes.toString('utf8'); // UTF8String
    case 0x12: case 0x13: case 0x16: case 0x1a: case 0x14: return bytes.toString('latin1'); // Numeric, Printable, IA5, Visible, T61
    case 0x1e: return Buffer.from(bytes).swap16().toString('utf16le'); // BMPString (UTF-16BE)
    case 0x1c: return String.fromCodePoint(...Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32BE(i * 4))); // UniversalString
    default: throw new Error(`issuer attribute of ASN.1 type 0x${value.tag.toString(16)} is not text`);
  }
}

/** A DER INTEGER as a (two's complement) bigint. */
function integer(der: Buffer, value: Tlv): bigint {
  const bytes = der.subarray(value.start, value.end);
  const unsigned = BigInt(`0x${bytes.toString('hex') || '0'}`);
  return bytes.length > 0 && bytes[0]! & 0x80 ? unsigned - (1n << BigInt(bytes.length * 8)) : unsigned;
}

/** UTCTime (`YYMMDDHHMMSSZ`, years 50–99 = 19xx) or GeneralizedTime (`YYYYMMDDHHMMSSZ`). */
function time(der: Buffer, value: Tlv): Date {
  let text = der.subarray(value.start, value.end).toString('latin1');
  if (value.tag === 0x17) text = `${Number(text.slice(0, 2)) >= 50 ? '19' : '20'}${text}`;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) throw new Error(`unsupported certificate time ${JSON.stringify(text)}`);
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** A signer's X.509 certificate (Celery `Certificate`). */
export class Certificate {
  readonly x509: X509Certificate;
  /** Celery's `get_id()`: issuer attribute values and decimal serial, space-separated. */
  readonly id: string;
  readonly notBefore: Date;
  readonly notAfter: Date;

  /** @throws SecurityError `Invalid certificate: ...` when `pem` holds no readable certificate. */
  constructor(pem: string | Buffer) {
    try {
      this.x509 = new X509Certificate(pem);
      const der = this.x509.raw;
      const tbs = children(der, children(der, tlv(der, 0))[0]!);
      const [serial, , issuer, validity] = tbs[0]!.tag === 0xa0 ? tbs.slice(1) : tbs; // [0] version is optional
      const values = children(der, issuer!).flatMap((set) => children(der, set)).map((pair) => attributeText(der, children(der, pair)[1]!));
      this.id = `${values.join(' ')} ${integer(der, serial!).toString()}`;
      const [from, to] = children(der, validity!);
      this.notBefore = time(der, from!);
      this.notAfter = time(der, to!);
    } catch (error) {
      throw new SecurityError(`Invalid certificate: ${(error as Error).message}`, { cause: error });
    }
  }

  get publicKey(): KeyObject {
    return this.x509.publicKey;
  }

  /** Why the certificate cannot be trusted at `now`, or null when it is within its validity window. */
  invalidAt(now = new Date()): string | null {
    if (now < this.notBefore) return `certificate ${JSON.stringify(this.id)} is not valid before ${this.notBefore.toISOString()}`;
    if (now > this.notAfter) return `certificate ${JSON.stringify(this.id)} expired at ${this.notAfter.toISOString()}`;
    return null;
  }
}

/** Every PEM certificate in `text` (a file may hold several; Celery reads the first only). */
function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** The trusted signers' certificates by id (Celery `CertStore` / `FSCertStore`). */
export class CertStore {
  private readonly certs = new Map<string, Certificate>();

  /**
   * Loads every certificate in the files `pattern` matches (a glob, or a directory for all its files).
   * @throws SecurityError when a file holds no certificate, a certificate is unreadable, two share an
   *   id (`Duplicate certificate`), or nothing matches.
   */
  static load(pattern: string): CertStore {
    const store = new CertStore();
    const files = globFiles(pattern);
    for (const file of files) {
      const blocks = pemBlocks(readFileSync(file, 'utf8'));
      if (blocks.length === 0) throw new SecurityError(`Invalid certificate: ${file} holds no PEM certificate`);
      for (const block of blocks) store.add(new Certificate(block));
    }
    if (store.certs.size === 0) throw new SecurityError(`no certificate file matches ${JSON.stringify(pattern)}`);
    return store;
  }

  /** @throws SecurityError `Duplicate certificate` when one with the same id is already held. */
  add(cert: Certificate): void {
    if (this.certs.has(cert.id)) throw new SecurityError(`Duplicate certificate: ${JSON.stringify(cert.id)}`);
    this.certs.set(cert.id, cert);
  }

  /** The certificate of signer `id`, or undefined. */
  get(id: string): Certificate | undefined {
    return this.certs.get(id);
  }

  /** Every certificate held. */
  all(): Certificate[] {
    return [...this.certs.values()];
  }
}
