import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSigningPki, requirePython, type SigningPki } from '@cq/tooling/testing';
import { SecurityError } from '../errors.js';
import { authSerializer, type AuthSerializerOptions } from './auth.js';
import { Certificate, CertStore } from './certificate.js';
import { SerializerScope, dumps, loads } from './registry.js';

// Celery 5.2.6's own SecureSerializer (Debian python3-celery + python3-cryptography) on the other side.
// `sign55` builds Celery ≥ 5.5's layout (base64 signer and signature) with the same primitives.
const PY_SIDE = `
import base64, json, sys
from cryptography.hazmat.primitives.asymmetric import padding
from celery.security.certificate import Certificate, FSCertStore
from celery.security.key import PrivateKey
from celery.security.serialization import SecureSerializer
from celery.security.utils import get_digest_algorithm
a = json.loads(sys.argv[1])
read = lambda p: open(p).read() if p else None
s = SecureSerializer(a.get('key') and PrivateKey(read(a['key'])), a.get('cert') and Certificate(read(a['cert'])),
                     a.get('store') and FSCertStore(a['store']), a.get('digest', 'sha256'), 'json')
if a['op'] == 'sign':
    print(json.dumps(s.serialize(a['data'])))
elif a['op'] == 'verify':
    print(json.dumps(s.deserialize(a['data'])))
elif a['op'] == 'id':
    print(json.dumps(Certificate(read(a['cert'])).get_id()))
elif a['op'] == 'sign55':
    body = json.dumps(a['data']).encode()
    d = get_digest_algorithm('sha256')
    sig = PrivateKey(read(a['key']))._key.sign(body, padding.PSS(mgf=padding.MGF1(d), salt_length=padding.PSS.MAX_LENGTH), d)
    fields = [base64.b64encode(Certificate(read(a['cert'])).get_id().encode()), base64.b64encode(sig), b'application/json', b'utf-8', body]
    print(json.dumps(base64.b64encode(b'\\x00\\x01'.join(fields)).decode()))
`;

function python(args: Record<string, unknown>): unknown {
  return JSON.parse(execFileSync(requirePython(['celery', 'cryptography']), ['-c', PY_SIDE, JSON.stringify(args)], { encoding: 'utf8' }));
}

let pki: SigningPki;
let store: CertStore;
let pyStore: string;
const value = [[2, 3], { z: 'é, ☃' }, { callbacks: null, errbacks: null, chain: null, chord: null }];

function auth(signer: string, extra: Partial<AuthSerializerOptions> = {}) {
  const id = pki.signers[signer]!;
  return authSerializer({ key: readFileSync(id.key), cert: readFileSync(id.cert), store, ...extra });
}

beforeAll(() => {
  pki = makeSigningPki({
    alice: {}, bob: {}, mallory: {},
    old: { notBefore: '20200101000000Z', notAfter: '20200201000000Z' },
    future: { notBefore: '20990101000000Z', notAfter: '20990201000000Z' },
    locked: { keyPassword: 's3same' },
  });
  store = CertStore.load(pki.store(['alice', 'bob', 'old', 'future', 'locked']));
  pyStore = pki.store(['alice', 'bob']); // Celery refuses to load a store holding an expired certificate
}, 60_000);
afterAll(() => pki?.remove());

describe('auth serializer', () => {
  it('names the signer as Celery does: issuer values and decimal serial', () => {
    const cert = new Certificate(readFileSync(pki.signers['alice']!.cert));
    expect(cert.id).toBe('cq test, Inc. cq signing CA 4097');
    expect(cert.id).toBe(python({ op: 'id', cert: pki.signers['alice']!.cert }));
  });

  it.each(['5.5', '5.2'] as const)('round-trips in the %s layout, as application/data utf-8 base64 text', (format) => {
    const s = auth('alice', { format });
    const body = s.encode(value);
    expect([s.contentType, s.contentEncoding]).toEqual(['application/data', 'utf-8']);
    expect(body.toString()).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const head = Buffer.from(body.toString(), 'base64').subarray(0, 8).toString('latin1');
    expect(head.startsWith('cq test')).toBe(format === '5.2');
    expect(auth('bob').decode(body)).toEqual(value);
  });

  it('verifies what Celery 5.2.6 signs, and Celery 5.2.6 verifies what cq signs in the 5.2 layout', () => {
    const { key, cert } = pki.signers['bob']!;
    const fromPython = python({ op: 'sign', key, cert, store: pyStore, data: value }) as string;
    expect(auth('alice').decode(Buffer.from(fromPython))).toEqual(value);
    const fromCq = auth('alice', { format: '5.2' }).encode(value).toString();
    expect(python({ op: 'verify', store: pyStore, data: fromCq })).toEqual(value);
  });

  it('reads the Celery ≥ 5.5 layout (base64 signer and signature)', () => {
    const { key, cert } = pki.signers['bob']!;
    const body = python({ op: 'sign55', key, cert, data: value }) as string;
    expect(auth('alice').decode(Buffer.from(body))).toEqual(value);
  });

  it('signs with another digest when both sides use it', () => {
    const body = auth('alice', { digest: 'sha512', format: '5.2' }).encode(value).toString();
    expect(python({ op: 'verify', store: pyStore, digest: 'sha512', data: body })).toEqual(value);
    expect(() => auth('bob').decode(Buffer.from(body))).toThrow(/Bad signature/);
  });

  describe('refuses, before decoding, a body', () => {
    const refused = (body: Buffer | string, pattern: RegExp) => {
      let error: unknown;
      try {
        auth('alice').decode(Buffer.isBuffer(body) ? body : Buffer.from(body));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SecurityError);
      expect((error as SecurityError).code).toBe('CQ_KOMBU_SECURITY');
      expect((error as Error).message).toMatch(pattern);
    };
    /** `body` with one byte XOR-ed with `mask` at the offset `at` picks in the packed fields. */
    const edit = (body: Buffer, at: (raw: Buffer) => number, mask = 0x01) => {
      const raw = Buffer.from(body.toString(), 'base64');
      raw.writeUInt8(raw.readUInt8(at(raw)) ^ mask, at(raw));
      return Buffer.from(raw.toString('base64'));
    };

    it.each(['5.5', '5.2'] as const)('whose inner body was changed (%s layout)', (format) => {
      const body = auth('bob', { format }).encode(value);
      refused(edit(body, (raw) => raw.length - 20), /Bad signature from "cq test, Inc\. cq signing CA 4098"/);
    });

    it('whose signature was changed', () => {
      const body = auth('bob', { format: '5.2' }).encode(value);
      refused(edit(body, (raw) => raw.indexOf(Buffer.from([0, 1])) + 10, 0x80), /Bad signature/);
    });

    it('from a signer missing from the store, in either layout', () => {
      refused(auth('mallory').encode(value), /Unknown certificate: "cq test, Inc\. cq signing CA 4099"/);
      refused(auth('mallory', { format: '5.2' }).encode(value), /Unknown certificate/);
    });

    it('from a signer whose certificate expired, or is not valid yet', () => {
      refused(auth('old').encode(value), /certificate "cq test, Inc\. cq signing CA 4100" expired at 2020-02-01T00:00:00\.000Z/);
      refused(auth('future').encode(value), /is not valid before 2099-01-01/);
    });

    it('that is malformed', () => {
      refused('bm8gc2VwYXJhdG9y', /no field separator/);
      refused(Buffer.from(Buffer.from('YQ==\u0000\u0001YQ==').toString('base64')), /expected 5 fields/);
    });

    it('signed with the right certificate but a valid signature of another body', () => {
      const a = Buffer.from(auth('bob').encode([1]).toString(), 'base64');
      const b = Buffer.from(auth('bob').encode([2]).toString(), 'base64');
      const sigEnd = (raw: Buffer) => raw.indexOf(Buffer.from([0, 1]), raw.indexOf(Buffer.from([0, 1])) + 2);
      refused(Buffer.from(Buffer.concat([a.subarray(0, sigEnd(a)), b.subarray(sigEnd(b))]).toString('base64')), /Bad signature/);
    });
  });

  describe('set-up', () => {
    it('reads an encrypted key with its passphrase, and says what is missing without it', () => {
      expect(auth('bob').decode(auth('locked', { keyPassword: 's3same' }).encode(value))).toEqual(value);
      expect(() => auth('locked')).toThrow(/Invalid private key: .*set security_key_password/);
    });

    it('refuses a key that is not the certificate\'s, a non-RSA key and an unknown digest', () => {
      const { key } = pki.signers['bob']!;
      expect(() => auth('alice', { key: readFileSync(key) })).toThrow(/does not belong to certificate "cq test, Inc\. cq signing CA 4097"/);
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
      expect(() => auth('alice', { key: ec })).toThrow(/ec keys cannot sign Celery messages/);
      expect(() => auth('alice', { digest: 'sha3_256' })).not.toThrow();
      expect(() => auth('alice', { digest: 'whirlpool2' })).toThrow(/unknown security_digest "whirlpool2"/);
    });

    it('loads a store from a glob or a directory, refusing duplicates and empty matches', () => {
      const glob = pki.store(['alice', 'bob']);
      expect(CertStore.load(glob).all().map((c) => c.id.split(' ').pop())).toEqual(['4097', '4098']);
      expect(CertStore.load(glob.replace(/\/\*\.pem$/, '')).all()).toHaveLength(2);
      expect(() => CertStore.load(`${pki.dir}/nothing-*.pem`)).toThrow(/no certificate file matches/);
      const twice = new CertStore();
      twice.add(new Certificate(readFileSync(pki.signers['alice']!.cert)));
      expect(() => twice.add(new Certificate(readFileSync(pki.signers['alice']!.cert)))).toThrow(/Duplicate certificate/);
    });
  });

  it('is reached through a serializer scope only: the process-wide application/data stays raw', () => {
    const scope = new SerializerScope();
    scope.register(auth('alice'));
    const { body, contentType, contentEncoding } = dumps(value, 'auth', scope);
    expect(loads(body, contentType, contentEncoding, ['auth'], scope)).toEqual(value);
    expect(loads(body, contentType, contentEncoding, ['json'])).toBe(body.toString());
    expect(() => dumps(value, 'auth')).toThrow(/no serializer registered for "auth"/);
  });
});
