/**
 * Several hosts on this machine for tests of brokers and workers on different machines: each host
 * is a network namespace (`ip netns`) with one veth interface on a private bridge and an address
 * of its own (10.<net>.<subnet>.<10 + i>/24); the bridge's address (…​.1) is the root namespace,
 * where the test itself runs. A host cannot reach the root's 127.0.0.1 services: a broker for them
 * runs on one of the hosts (bound to its address) or on the bridge address.
 *
 * Processes start inside a host with {@link Host.spawn} (`ip netns exec <ns> <command>`, tracked by
 * `spawnTracked`, so they never outlive their test file). Each host gets its own `/etc/hosts` and
 * `/etc/resolv.conf` (`ip netns exec` mounts `/etc/netns/<ns>/*` over `/etc`): the hosts' names and
 * addresses, and no DNS server it cannot reach — otherwise every name lookup (Erlang does several
 * while a RabbitMQ node boots or stops) waits out a 10 s DNS timeout. `destroy()` deletes the namespaces, their
 * veth pairs and the bridge; a run that died before that leaves `cqh*` namespaces, which the next
 * `makeHosts` removes when they are older than an hour. Needs root (CAP_NET_ADMIN) and `ip`
 * (Debian's iproute2).
 */
import { execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { requireCommand } from './peers.js';
import { spawnTracked } from './processes.js';

export interface Host {
  /** `h0`, `h1`, … */
  readonly name: string;
  /** The network namespace. */
  readonly netns: string;
  /** Its address on the bridge. */
  readonly ip: string;
  /** Starts `command` inside the host (tracked; stopped with `stopTracked`). */
  spawn(command: string, args?: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Runs `command` inside the host and returns its stdout. @throws Error when it fails. */
  run(command: string, args?: readonly string[]): string;
  /** The file and arguments that run `command` inside the host, for `execFileTracked` and the like. */
  command(command: string, args?: readonly string[]): [string, string[]];
  /** Cuts the host off the bridge (its link down) or joins it again: a network partition. */
  setLink(up: boolean): void;
}

export interface Hosts {
  readonly hosts: Host[];
  /** The bridge's address: the root namespace, as the hosts see it. */
  readonly gateway: string;
  /** Deletes the namespaces, veth pairs and the bridge. Safe to call twice. */
  destroy(): void;
}

/**
 * Makes `count` hosts on a fresh bridge.
 * @throws MissingPeerError when `ip` is missing; Error when the kernel refuses (not root).
 */
export function makeHosts(count: number): Hosts {
  const ipBin = requireCommand('ip', 'iproute2');
  const ip = (...args: string[]): string => execFileSync(ipBin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  removeStale(ip);
  const tag = randomBytes(3).toString('hex');
  const subnet = 16 + (randomBytes(1)[0]! % 200);
  const prefix = `10.77.${subnet}`;
  const bridge = `cqb${tag}`;
  const hosts: Host[] = [];
  const made: string[] = [];
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of made) {
      tryRun(() => ip('netns', 'del', ns));
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
    tryRun(() => ip('link', 'del', bridge));
  };
  try {
    ip('link', 'add', bridge, 'type', 'bridge');
    ip('addr', 'add', `${prefix}.1/24`, 'dev', bridge);
    ip('link', 'set', bridge, 'up');
    for (let i = 0; i < count; i++) {
      const netns = `cqh${tag}${i}`;
      const outside = `cqv${tag}${i}`;
      const inside = `cqw${tag}${i}`;
      ip('netns', 'add', netns);
      made.push(netns);
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', inside);
      ip('link', 'set', outside, 'master', bridge);
      ip('link', 'set', outside, 'up');
      ip('link', 'set', inside, 'netns', netns);
      const address = `${prefix}.${10 + i}`;
      ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', inside);
      ip('-n', netns, 'link', 'set', inside, 'up');
      ip('-n', netns, 'link', 'set', 'lo', 'up');
      ip('-n', netns, 'route', 'add', 'default', 'via', `${prefix}.1`);
      hosts.push({
        name: `h${i}`,
        netns,
        ip: address,
        spawn: (command, args = [], options = {}) => spawnTracked(ipBin, ['netns', 'exec', netns, command, ...args], options),
        run: (command, args = []) => ip('netns', 'exec', netns, command, ...args),
        command: (command, args = []) => [ipBin, ['netns', 'exec', netns, command, ...args]],
        setLink: (up) => { ip('link', 'set', outside, up ? 'up' : 'down'); },
      });
    }
    const names = [`127.0.0.1 localhost ${os.hostname()}`, `${prefix}.1 gateway`, ...hosts.map((h) => `${h.ip} ${h.name}`), ''].join('\n');
    for (const host of hosts) {
      mkdirSync(`/etc/netns/${host.netns}`, { recursive: true });
      writeFileSync(`/etc/netns/${host.netns}/hosts`, names);
      // A resolver on the host's own loopback: nothing listens, so a lookup that /etc/hosts cannot answer fails at once.
      writeFileSync(`/etc/netns/${host.netns}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
    }
  } catch (err) {
    destroy();
    throw new Error(`could not make ${count} network-namespace hosts (needs root and iproute2): ${(err as Error).message}`, { cause: err });
  }
  return { hosts, gateway: `${prefix}.1`, destroy };
}

/** Deletes `cqh*` namespaces (and so their veths) left by runs that died, if older than an hour. */
function removeStale(ip: (...args: string[]) => string): void {
  const listed = tryRun(() => ip('netns', 'list')) ?? '';
  for (const line of listed.split('\n')) {
    const ns = line.split(' ')[0];
    if (!ns?.startsWith('cqh')) continue;
    const age = tryRun(() => Date.now() - statSync(`/run/netns/${ns}`).mtimeMs) ?? 0;
    if (age > 3_600_000) {
      tryRun(() => ip('netns', 'del', ns));
      rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
    }
  }
  const links = tryRun(() => ip('-o', 'link', 'show', 'type', 'bridge')) ?? '';
  for (const match of links.matchAll(/^\d+: (cqb[0-9a-f]{6})[:@]/gm)) {
    const bridge = match[1]!;
    // A bridge with no member left belongs to a run whose namespaces are gone.
    const members = tryRun(() => ip('-o', 'link', 'show', 'master', bridge)) ?? 'x';
    if (members.trim() === '') tryRun(() => ip('link', 'del', bridge));
  }
}

function tryRun<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch {
    return null;
  }
}
