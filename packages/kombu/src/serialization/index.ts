/** Serialization for @cq/kombu: the registry, kombu-compatible JSON and ISO date helpers. */

export { dumps, loads, registerSerializer, getSerializer, prepareAccept } from './registry.js';
export type { Serializer } from './registry.js';
export { kombuJson } from './json.js';
export { formatPythonIsoDate, parseIsoDate } from './isodate.js';
