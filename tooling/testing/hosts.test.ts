import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { makeHosts, type Hosts } from './hosts.js';
import { stopTracked } from './processes.js';

/** Runs a one-line TCP client inside `host`: the reply of `to:port`, or `ERR <code>`. */
function ask(hosts: Hosts, from: number, to: string, port: number): string {
  const script = `const s=require('net').connect(${port},'${to}');s.setTimeout(1500,()=>{console.log('ERR timeout');process.exit(0)});`
    + `s.on('data',d=>{console.log(String(d));s.end()});s.on('error',e=>{console.log('ERR '+e.code)});s.write('ping')`;
  return hosts.hosts[from]!.run(process.execPath, ['-e', script]).trim();
}

describe('makeHosts', () => {
  let hosts: Hosts | null = null;
  afterAll(() => hosts?.destroy());

  it('gives hosts their own addresses that reach each other across the bridge, and a partition cuts one off', async () => {
    hosts = makeHosts(2);
    const [h0, h1] = hosts.hosts;
    expect(h0!.ip).not.toBe(h1!.ip);
    // Inside a host only its own addresses exist: the root's 127.0.0.1 services are not there.
    expect(h0!.run('ip', ['-o', '-4', 'addr', 'show'])).toContain(h0!.ip);
    const server = h0!.spawn(process.execPath, ['-e', `require('net').createServer(s=>s.on('data',d=>s.end('pong from '+d))).listen(7777,'${h0!.ip}')`]);
    try {
      for (let i = 0; i < 50 && ask(hosts, 1, h0!.ip, 7777) !== 'pong from ping'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(ask(hosts, 1, h0!.ip, 7777)).toBe('pong from ping');
      h0!.setLink(false);
      expect(ask(hosts, 1, h0!.ip, 7777)).toMatch(/^ERR /);
      h0!.setLink(true);
      for (let i = 0; i < 50 && ask(hosts, 1, h0!.ip, 7777) !== 'pong from ping'; i++) await new Promise((r) => setTimeout(r, 100));
      expect(ask(hosts, 1, h0!.ip, 7777)).toBe('pong from ping');
    } finally {
      await stopTracked(server);
    }
    const namespaces = hosts.hosts.map((h) => h.netns);
    hosts.destroy();
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    for (const ns of namespaces) expect(left).not.toContain(ns);
  });
});
