/**
 * Transport registry: short aliases resolved to packages, imported only when used (kombu
 * `kombu/transport/__init__.py` `TRANSPORT_ALIASES`). Each transport package exports
 * `transport: TransportDefinition`. A missing package fails with the `pnpm add` line to run.
 */
import { TransportNotFoundError } from '../errors.js';
import { closestName } from '../utils/closest.js';
import { importPackage } from '../utils/import-package.js';
import { memoryTransport } from './memory.js';
import type { TransportDefinition } from './types.js';

export type TransportLoader = () => Promise<TransportDefinition>;

const fromPackage = (pkg: string): TransportLoader => async () => {
  const mod = await importPackage<{ transport?: TransportDefinition }>(pkg);
  if (!mod) throw new TransportNotFoundError(`the transport package ${pkg} is not installed: run \`pnpm add ${pkg}\``);
  if (!mod.transport) throw new TransportNotFoundError(`${pkg} does not export \`transport\`: is it a cq transport package?`);
  return mod.transport;
};

const loaders = new Map<string, TransportLoader>([
  ['memory', async () => memoryTransport],
  ['sqlite', fromPackage('@cq/transport-sqlite')],
  ['sqla+sqlite', fromPackage('@cq/transport-sqlite')],
  ['amqp', fromPackage('@cq/transport-amqp')],
  ['amqps', fromPackage('@cq/transport-amqp')],
  ['pyamqp', fromPackage('@cq/transport-amqp')],
  ['redis', fromPackage('@cq/transport-redis')],
  ['rediss', fromPackage('@cq/transport-redis')],
  ['sqs', fromPackage('@cq/transport-sqs')],
  ['postgres', fromPackage('@cq/transport-postgres')],
  ['postgresql', fromPackage('@cq/transport-postgres')],
  ['mongodb', fromPackage('@cq/transport-mongodb')],
]);

/** Adds or replaces an alias (kombu lets users register transports the same way). */
export function registerTransport(alias: string, loader: TransportLoader | TransportDefinition): void {
  loaders.set(alias.toLowerCase(), typeof loader === 'function' ? loader : async () => loader);
}

/** Known aliases, sorted. */
export function transportAliases(): string[] {
  return [...loaders.keys()].sort();
}

/**
 * Resolves an alias to its definition, importing its package on first use.
 * Throws {@link TransportNotFoundError}: unknown alias (naming the closest) or package not installed.
 */
export async function resolveTransport(alias: string): Promise<TransportDefinition> {
  const loader = loaders.get(alias.toLowerCase());
  if (!loader) {
    const known = transportAliases();
    const closest = closestName(alias, known);
    throw new TransportNotFoundError(`unknown transport ${JSON.stringify(alias)}${closest ? `: did you mean ${JSON.stringify(closest)}?` : ''} (known: ${known.join(', ')})`);
  }
  return loader();
}
