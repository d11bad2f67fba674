/**
 * The `auth` serializer: message signing, wire-compatible with Celery's (`celery/security/
 * serialization.py` `SecureSerializer`, `key.py`, `utils.py`). Set it up through the app
 * (`app.setupSecurity()` in @cq/app), which registers it in that app's serializers only.
 *
 * Writing: the value is serialized with the inner serializer (default `json`), the resulting bytes
 * are signed with RSA-PSS (MGF1 with the same hash, maximum salt length, digest `security_digest`,
 * default `sha256`), and the body sent — content type `application/data`, encoding `utf-8` — is the
 * base64 text of five fields joined with the two bytes `\x00\x01`:
 *
 * | format | fields                                                                             | written by       |
 * |--------|------------------------------------------------------------------------------------|------------------|
 * | `5.5`  | base64(signer id), base64(signature), content type, content encoding, inner body   | Celery ≥ 5.5     |
 * | `5.2`  | signer id, raw signature (key size / 8 bytes), content type, content encoding, body | Celery ≤ 5.4     |
 *
 * Celery ≥ 5.5 cannot read the `5.2` layout and Celery ≤ 5.4 cannot read the `5.5` one, so the writer
 * picks one (`format`, default `5.5`); the reader accepts both, telling them apart by the first field
 * (a signer id always holds a space, base64 never does).
 *
 * Reading refuses a body — with {@link SecurityError}, before anything in it is decoded — when it is
 * malformed, its signer is not in the store, the signer's certificate is expired or not yet valid
 * (checked at each message; Celery checks only when the store is loaded), or the signature does not
 * match the inner body. Only then is the inner body decoded, with its own content type.
 */
import { createHash, createPrivateKey, createPublicKey, constants, getHashes, sign, verify, type KeyObject } from 'node:crypto';
import { SecurityError } from '../errors.js';
import { Certificate, type CertStore } from './certificate.js';
import { dumps, loads, type Serializer } from './registry.js';

const SEP = Buffer.from([0x00, 0x01]);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Which layout signed bodies are written in (see the module doc); both are always read. */
export type AuthFormat = '5.5' | '5.2';

export interface AuthSerializerOptions {
  /** PEM private key that signs (Celery `security_key`, the file's text). RSA only, as Celery. */
  key: string | Buffer;
  /** Passphrase of an encrypted `key` (Celery `security_key_password`). Default none. */
  keyPassword?: string | Buffer | null;
  /** PEM certificate of `key`; its id is the signer named in each message (Celery `security_certificate`). */
  cert: string | Buffer;
  /** The trusted signers' certificates (Celery `security_cert_store`, see `CertStore.load`). */
  store: CertStore;
  /** Hash of the signature by Celery's name: `sha256` (default), `sha512`, `sha3_256`, ... (Celery `security_digest`). */
  digest?: string;
  /** Serializer of the signed value, from the process-wide registry. Default `json`. */
  serializer?: string;
  /** Layout written. Default `5.5` (Celery ≥ 5.5); `5.2` for Celery ≤ 5.4 readers. */
  format?: AuthFormat;
  /** Clock of the validity check, for tests. Default `() => new Date()`. */
  now?: () => Date;
}

/** The `auth` serializer, with the certificate it signs as. */
export interface AuthSerializer extends Serializer {
  readonly certificate: Certificate;
}

/**
 * Node's name of a Celery digest (`getattr(cryptography.hazmat.primitives.hashes, digest.upper())`).
 * @throws SecurityError when Node has no such hash.
 */
export function digestName(digest: string): string {
  const name = digest.toLowerCase().replace(/^sha512_/, 'sha512-').replace(/^sha3_/, 'sha3-');
  if (!getHashes().includes(name)) throw new SecurityError(`unknown security_digest ${JSON.stringify(digest)}: use sha256, sha384, sha512, sha3_256, ...`);
  return name;
}

/** RSA-PSS options with the maximum salt length for `key` (what `PSS.MAX_LENGTH` gives in Python). */
function pss(key: KeyObject, hash: string): { key: KeyObject; padding: number; saltLength: number } {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const saltLength = Math.ceil((bits - 1) / 8) - createHash(hash).digest().length - 2;
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength };
}

/** The parts of a signed body, bytes as received. */
interface Unpacked { signer: string; signature: Buffer; contentType: string; contentEncoding: string; body: Buffer }

/** Splits `raw` on SEP at most `limit - 1` times. */
function split(raw: Buffer, limit: number): Buffer[] {
  const parts: Buffer[] = [];
  let at = 0;
  while (parts.length < limit - 1) {
    const next = raw.indexOf(SEP, at);
    if (next === -1) break;
    parts.push(raw.subarray(at, next));
    at = next + SEP.length;
  }
  parts.push(raw.subarray(at));
  return parts;
}

/** Reads either layout; the signer's certificate is looked up for the `5.2` signature length. */
function unpack(raw: Buffer, store: CertStore): Unpacked {
  const first = raw.indexOf(SEP);
  if (first === -1) throw new SecurityError('malformed signed body: no field separator');
  const head = raw.subarray(0, first).toString('latin1');
  if (BASE64.test(head)) {
    const parts = split(raw, 5);
    if (parts.length !== 5) throw new SecurityError('malformed signed body: expected 5 fields');
    const [signer, signature, contentType, contentEncoding, body] = parts as [Buffer, Buffer, Buffer, Buffer, Buffer];
    return {
      signer: Buffer.from(signer.toString('latin1'), 'base64').toString('utf8'), signature: Buffer.from(signature.toString('latin1'), 'base64'),
      contentType: contentType.toString('utf8'), contentEncoding: contentEncoding.toString('utf8'), body,
    };
  }
  const signer = raw.subarray(0, first).toString('utf8');
  const cert = store.get(signer);
  if (!cert) throw new SecurityError(`Unknown certificate: ${JSON.stringify(signer)}`);
  const start = first + SEP.length;
  const end = start + ((cert.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) >> 3);
  if (!raw.subarray(end, end + SEP.length).equals(SEP)) throw new SecurityError('malformed signed body: signature length does not match the signer key');
  const rest = split(raw.subarray(end + SEP.length), 3);
  if (rest.length !== 3) throw new SecurityError('malformed signed body: expected 5 fields');
  return { signer, signature: raw.subarray(start, end), contentType: rest[0]!.toString('utf8'), contentEncoding: rest[1]!.toString('utf8'), body: rest[2]! };
}

/** Whether `parts.signature` is the signer's RSA-PSS signature of `parts.body` (never throws). */
function verifies(hash: string, parts: Unpacked, key: KeyObject): boolean {
  try {
    return key.asymmetricKeyType === 'rsa' && verify(hash, parts.body, pss(key, hash), parts.signature);
  } catch {
    return false;
  }
}

/**
 * The `auth` serializer for one signer and one store (Celery `SecureSerializer` + `register_auth`).
 * @throws SecurityError when the key is unreadable (wrong passphrase), not RSA, or does not belong to
 *   `cert`; when `cert` is unreadable; or for an unknown `digest`.
 */
export function authSerializer(options: AuthSerializerOptions): AuthSerializer {
  const hash = digestName(options.digest ?? 'sha256');
  const inner = options.serializer ?? 'json';
  const format = options.format ?? '5.5';
  const now = options.now ?? (() => new Date());
  const { store } = options;
  const cert = new Certificate(options.cert);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: options.key, format: 'pem', ...(options.keyPassword == null ? {} : { passphrase: options.keyPassword }) });
  } catch (error) {
    throw new SecurityError(`Invalid private key: ${(error as Error).message}${options.keyPassword == null ? ' (is it encrypted? set security_key_password)' : ''}`, { cause: error });
  }
  if (key.asymmetricKeyType !== 'rsa') throw new SecurityError(`Invalid private key: ${key.asymmetricKeyType ?? 'unknown'} keys cannot sign Celery messages (RSA-PSS only)`);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(cert.publicKey).equals(spki(createPublicKey(key)))) throw new SecurityError(`the private key does not belong to certificate ${JSON.stringify(cert.id)}`);

  return {
    name: 'auth',
    certificate: cert,
    contentType: 'application/data',
    contentEncoding: 'utf-8',
    encode(value) {
      const { body, contentType, contentEncoding } = dumps(value, inner);
      const signature = sign(hash, body, pss(key, hash));
      const fields = format === '5.5'
        ? [Buffer.from(Buffer.from(cert.id, 'utf8').toString('base64')), Buffer.from(signature.toString('base64'))]
        : [Buffer.from(cert.id, 'utf8'), signature];
      const packed = Buffer.concat([...fields, Buffer.from(contentType), Buffer.from(contentEncoding), body].flatMap((f, i) => (i === 0 ? [f] : [SEP, f])));
      return Buffer.from(packed.toString('base64'));
    },
    decode(data) {
      const parts = unpack(Buffer.from(data.toString('latin1'), 'base64'), store);
      const signerCert = store.get(parts.signer);
      if (!signerCert) throw new SecurityError(`Unknown certificate: ${JSON.stringify(parts.signer)}`);
      const invalid = signerCert.invalidAt(now());
      if (invalid) throw new SecurityError(`signer ${invalid}`);
      if (!verifies(hash, parts, signerCert.publicKey)) throw new SecurityError(`Bad signature from ${JSON.stringify(parts.signer)}`);
      return loads(parts.body, parts.contentType, parts.contentEncoding);
    },
  };
}
