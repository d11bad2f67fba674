/**
 * The result table, created and configured as Celery's DynamoDB backend does it
 * (`_get_or_create_table`, `_set_table_ttl`): hash key `id` (S), provisioned capacity from the URL,
 * and Time to Live on the attribute `ttl` switched on or off when the URL has `ttl_seconds`.
 *
 * Differences from Celery, both lenient: a table another process is still creating is waited for
 * (Celery returns at once), and an endpoint that does not implement UpdateTimeToLive (dynalite)
 * gets a process warning (`CQ_BACKEND_DYNAMODB_TTL`) instead of failing the backend; cq's reads
 * hide expired items either way (see dynamodb-backend.ts).
 */
import {
  CreateTableCommand, DescribeTableCommand, DescribeTimeToLiveCommand, UpdateTimeToLiveCommand, type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBTableError } from './errors.js';

/** Celery's item attributes: `id` S (hash key), `result` B, `timestamp` N, `ttl` N (with TTL on). */
export const ATTRIBUTES = { key: 'id', value: 'result', timestamp: 'timestamp', ttl: 'ttl' } as const;

export interface TableSpec {
  tableName: string;
  readCapacityUnits: number;
  writeCapacityUnits: number;
  /** Longest wait for the table to become ACTIVE, in ms. Default 120 000. */
  activeTimeoutMs?: number;
}

const errorName = (err: unknown): string | undefined => (err as { name?: string } | null)?.name;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the table when DescribeTable says it does not exist (a concurrent creator's
 * ResourceInUseException is fine), then waits until it is ACTIVE, polling every 250 ms.
 * @throws DynamoDBTableError when it is not ACTIVE within `activeTimeoutMs`; the SDK's error otherwise.
 */
export async function ensureTable(client: DynamoDBClient, spec: TableSpec): Promise<void> {
  const { tableName } = spec;
  const status = async () => (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table?.TableStatus;
  let current = await status().catch((err: unknown) => {
    if (errorName(err) === 'ResourceNotFoundException') return null;
    throw err;
  });
  if (current === null) {
    await client.send(new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: ATTRIBUTES.key, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: ATTRIBUTES.key, KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: spec.readCapacityUnits, WriteCapacityUnits: spec.writeCapacityUnits },
    })).catch((err: unknown) => {
      if (errorName(err) !== 'ResourceInUseException') throw err;
    });
    current = await status();
  }
  const deadline = Date.now() + (spec.activeTimeoutMs ?? 120_000);
  while (current !== 'ACTIVE') {
    if (Date.now() > deadline) throw new DynamoDBTableError(`DynamoDB table ${tableName} is ${String(current)}, not ACTIVE, after ${spec.activeTimeoutMs ?? 120_000} ms`);
    await sleep(250);
    current = await status();
  }
}

/**
 * Celery's `_set_table_ttl`: TTL on `ttl` when `enabled`, off otherwise, leaving the table alone
 * when it is already so (or going so).
 * @throws DynamoDBTableError wrapping a failed UpdateTimeToLive (e.g. TTL is on another attribute).
 */
export async function ensureTimeToLive(client: DynamoDBClient, tableName: string, enabled: boolean): Promise<void> {
  const description = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
  const status = description?.TimeToLiveStatus ?? 'DISABLED';
  const attribute = description?.AttributeName;
  const on = status === 'ENABLED' || status === 'ENABLING';
  if (on && enabled && attribute === ATTRIBUTES.ttl) return;
  if (!on && !enabled) return;
  try {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { Enabled: enabled, AttributeName: status === 'ENABLED' && attribute ? attribute : ATTRIBUTES.ttl },
    }));
  } catch (err) {
    if (errorName(err) === 'UnknownOperationException') {
      process.emitWarning(`the DynamoDB endpoint does not implement UpdateTimeToLive: Time to Live stays ${status} on ${tableName}`, { code: 'CQ_BACKEND_DYNAMODB_TTL' });
      return;
    }
    throw new DynamoDBTableError(`${enabled ? 'enabling' : 'disabling'} Time to Live on DynamoDB table ${tableName} failed: ${String(err)}`, { cause: err });
  }
}
