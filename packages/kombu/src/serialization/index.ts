/** Serialization for @cq/kombu: the registry, kombu-compatible JSON and ISO date helpers. */

export { dumps, loads, registerSerializer, getSerializer, prepareAccept, SerializerScope } from './registry.js';
export type { Serializer } from './registry.js';
export { authSerializer, digestName, type AuthFormat, type AuthSerializer, type AuthSerializerOptions } from './auth.js';
export { Certificate, CertStore } from './certificate.js';
export { kombuJson } from './json.js';
export { formatPythonIsoDate, parseIsoDate } from './isodate.js';
