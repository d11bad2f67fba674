/**
 * Message signing for one app (Celery `app.setup_security()`, `celery/security/__init__.py`): the
 * `security_*` settings and {@link setupSecurity}, which loads the key, certificate and store and
 * registers the `auth` serializer of @cq/kombu in **this app's** serializers — nothing is installed
 * process-wide and nothing happens on import.
 *
 * What it sets, where Celery insists the user sets it first: `task_serializer = 'auth'`,
 * `accept_content = ['auth']` (a worker then refuses unsigned task messages), and — only when unset —
 * `result_accept_content` (results are never signed, in Celery either; Celery leaves it to fall back
 * to `['auth']`, which makes every result unreadable until the user finds the setting).
 */
import { readFileSync } from 'node:fs';
import { CertStore, SecurityError, authSerializer, type AuthFormat, type AuthSerializer, type AuthSerializerOptions } from '@cq/kombu';
import { settingsSlice, type CelerySettings } from './config.js';
import { ImproperlyConfigured } from './errors.js';
import type { Celery } from './app.js';

export interface SecuritySettings {
  /** File of the PEM private key that signs (Celery `security_key`). RSA only. Default null. */
  security_key: string | null;
  /** Passphrase of an encrypted `security_key` (Celery 5.3 `security_key_password`). Default null. */
  security_key_password: string | null;
  /** File of the PEM certificate of `security_key`: the signer named in messages (Celery `security_certificate`). Default null. */
  security_certificate: string | null;
  /** Glob (or directory) of the trusted signers' certificate files (Celery `security_cert_store`). Default null. */
  security_cert_store: string | null;
  /** Hash of the signatures: `sha256`, `sha512`, `sha3_256`, ... (Celery `security_digest`). Default `'sha256'`. */
  security_digest: string;
  /**
   * cq: layout of the signed messages written, `'5.5'` (Celery ≥ 5.5) or `'5.2'` (Celery ≤ 5.4); the
   * two cannot read each other's, cq reads both. Default `'5.5'`.
   */
  security_signature_format: AuthFormat;
}

declare module './config.js' {
  // The security slice of Celery's settings: optional in `app.conf` (present only when configured).
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the slice's members
  interface CelerySettings extends Partial<SecuritySettings> {}
}

/** Celery's defaults of the security settings (and cq's for `security_signature_format`). */
export const SECURITY_DEFAULTS: Readonly<SecuritySettings> = Object.freeze({
  security_key: null,
  security_key_password: null,
  security_certificate: null,
  security_cert_store: null,
  security_digest: 'sha256',
  security_signature_format: '5.5',
});

/** The security settings in effect for `conf`. */
export function securitySettings(conf: CelerySettings): SecuritySettings {
  return settingsSlice<SecuritySettings>(conf, SECURITY_DEFAULTS);
}

/** Arguments of `app.setupSecurity()` (Celery `setup_security`); each defaults to its setting. */
export interface SetupSecurityOptions {
  /**
   * Celery `allowed_serializers`: Celery disables every other decoder process-wide. cq has no such
   * global state; what still decodes unsigned content once tasks must be signed is the result
   * backend, so this becomes `result_accept_content` when that is unset. Default `[result_serializer]`.
   */
  allowedSerializers?: string[];
  key?: string;
  keyPassword?: string;
  cert?: string;
  store?: string;
  digest?: string;
  /** Serializer of the signed content (Celery `serializer`). Default `'json'`. */
  serializer?: string;
  /** See `security_signature_format`. */
  format?: AuthFormat;
}

function readSetting(setting: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ImproperlyConfigured(`${setting}: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/** The `auth` serializer from the files' contents; warns about store certificates not valid now. */
function loadSigner(app: Celery, options: Omit<AuthSerializerOptions, 'store'> & { store: string }): AuthSerializer {
  try {
    const store = CertStore.load(options.store);
    const auth = authSerializer({ ...options, store });
    for (const c of store.all()) {
      const invalid = c.invalidAt();
      if (invalid) app.log.warn(`security_cert_store: ${invalid}; messages it signs will be refused`);
    }
    const own = auth.certificate.invalidAt();
    if (own) throw new SecurityError(`security_certificate: ${own}; workers that check validity refuse what it signs`);
    return auth;
  } catch (error) {
    if (error instanceof SecurityError) throw new ImproperlyConfigured(`message signing: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Sets up message signing on `app` (Celery `setup_security`); see the module doc for what it sets.
 * Files are read synchronously, once. Call it before the first send or worker start.
 * @throws ImproperlyConfigured when `task_serializer` / `accept_content` name something else than
 *   `json` (the default) or `auth`, when the key, certificate or store is missing or unusable (a wrong
 *   passphrase, a key that is not the certificate's, a non-RSA key, an unknown digest, a store that
 *   matches no file), or when the app's own certificate is expired or not yet valid.
 */
export function setupSecurity(app: Celery, options: SetupSecurityOptions = {}): void {
  const conf = app.conf;
  const accept = JSON.stringify(conf.accept_content);
  if (!['json', 'auth'].includes(conf.task_serializer) || !['["json"]', '["auth"]'].includes(accept)) {
    throw new ImproperlyConfigured(`message signing needs task_serializer = 'auth' and accept_content = ['auth'] (setupSecurity() sets both); found task_serializer = ${JSON.stringify(conf.task_serializer)}, accept_content = ${accept}: remove them`);
  }
  const s = securitySettings(conf);
  const key = options.key ?? s.security_key;
  const cert = options.cert ?? s.security_certificate;
  const store = options.store ?? s.security_cert_store;
  const missing = Object.entries({ security_key: key, security_certificate: cert, security_cert_store: store }).filter(([, v]) => !v).map(([k]) => k);
  if (missing.length > 0) throw new ImproperlyConfigured(`message signing needs the settings security_key, security_certificate and security_cert_store; missing: ${missing.join(', ')}`);
  const auth = loadSigner(app, {
    key: readSetting('security_key', key!), keyPassword: options.keyPassword ?? s.security_key_password, cert: readSetting('security_certificate', cert!),
    store: store!, digest: options.digest ?? s.security_digest, serializer: options.serializer ?? 'json', format: options.format ?? s.security_signature_format,
  });
  app.serializers.register(auth);
  conf.task_serializer = 'auth';
  conf.accept_content = ['auth'];
  conf.result_accept_content ??= options.allowedSerializers ?? [conf.result_serializer];
}
