/**
 * `@cq/tooling/testing`: test support shared by every cq package (private, never published).
 *
 * - peers: `requirePython([...modules])` and `requireCommand(cmd, debianPackage)` fail a test with
 *   the command that installs what is missing, instead of skipping it;
 * - processes: `spawnTracked`, `execFileTracked` and `stopTracked` start and stop processes so that
 *   none outlives the run (each in a process group of its own, tagged `CQ_TEST_RUN=<run id>`,
 *   stopped after its test file at the latest); `taggedProcesses(testRunId())` lists what carries the tag;
 * - the `cq` CLI from source (or as built: `{ built: true }`): `cq(args, env)`, `cqWorker(args, env)` (resolves once ready), `waitFor`, `exited`;
 * - the packages built as published (`dist/`, one turbo build at a time): `buildPackages()`, `userEnv()`;
 * - ports for private servers: `freePort()`, `waitForPort(port, timeoutMs)`;
 * - a private redis-server a test can stop and start again on the same port: `PrivateRedis.start()`;
 * - the Python side of the database interop suite: `databaseInteropPython(modules)`;
 * - a private SQS emulator (fauxqs, JSON and query protocols on one port): `startSqsEmulator()`;
 * - a private vhost on the shared RabbitMQ node, listed through rabbitmqctl: `RabbitVhost.create()`;
 * - keys and CA-issued certificates (past and future validity too) for message signing: `makeSigningPki()`;
 * - hostile message bodies: `zlibBomb()`, `deepJsonArray(n)`, `deepMsgpackArray(n)`, `deepYamlSequence(n)`, `billionLaughsYaml()`.
 * - enqueue-time deduplication end to end on a stack the caller wires: `describeEnqueueDeduplication(name, stack)`.
 * - in-process apps, workers, results and queues a test made, cleaned up at once: `AppFixture`; `until(check)`.
 */
export { LeftoverProcessError, MissingPeerError, PythonScriptError, TestSupportError } from './errors.js';
export { PYTHON, findExecutable, requireCommand, requirePython, type PythonModule } from './peers.js';
export {
  RUN_TAG, execFileTracked, spawnTracked, stopAllTracked, stopTracked, testRunId,
  type ExecFileTrackedCallback, type ExecFileTrackedError, type ExecFileTrackedOptions, type StopOptions,
} from './processes.js';
export { taggedProcesses, type TaggedProcess } from './proc-scan.js';
export { cq, cqBin, cqBuiltBin, cqWorker, exited, repoRoot, userEnv, waitFor, type CqOptions, type CqProcess } from './cli.js';
export { COREPACK_ENV, buildPackages, corepack } from './build.js';
export { freePort, waitForPort } from './ports.js';
export { startServer, type StartServerOptions, type TrackedServer } from './servers.js';
export { PrivateRedis, type PrivateRedisOptions } from './private-redis.js';
export { startRedisSentinelGroup, type RedisSentinelGroup } from './redis-sentinel.js';
export { startRedisCluster, type RedisClusterNodes } from './redis-cluster.js';
export { makeHosts, type Host, type Hosts } from './hosts.js';
export { databaseInteropPython, type PythonScriptRunner } from './python.js';
export { startSqsEmulator, type SqsEmulator } from './sqs-emulator.js';
export { RabbitNode, startRabbitCluster, type RabbitNodeOptions } from './rabbitmq-node.js';
export { RabbitVhost, type RabbitListKind } from './rabbitmq-vhost.js';
export { makeCertificates, startTlsRabbitMQ, startTlsRedis, type TlsCertificates, type TlsRabbitNode, type TlsRedisNode } from './tls-nodes.js';
export { makeSigningPki, opensslTime, type SignerSpec, type SigningIdentity, type SigningPki } from './signing-pki.js';
export { billionLaughsYaml, deepJsonArray, deepMsgpackArray, deepYamlSequence, zlibBomb } from './hostile.js';
export {
  describeEnqueueDeduplication, type DeduplicationCall, type DeduplicationClient, type DeduplicationStack, type SentTask,
} from './deduplication.js';
export {
  AppFixture, until, type FixtureApp, type FixtureChannel, type FixtureResult, type FixtureWorker,
} from './app-fixture.js';
