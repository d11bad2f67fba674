import { makeHosts, RabbitNode, stopAllTracked } from '@cq/tooling/testing';
const hosts = makeHosts(3);
const t0 = Date.now();
try {
  const cookie = 'ABCDEFGHIJKLMNOP';
  const nodes = await Promise.all(hosts.hosts.map((host) => RabbitNode.start({ host, cookie, prefix: 'cqtime' })));
  console.log('booted', Date.now() - t0);
  for (const n of nodes.slice(1)) {
    const t = Date.now();
    await n.ctl(['stop_app']); console.log(' stop_app', Date.now() - t);
    await n.ctl(['reset']); console.log(' reset', Date.now() - t);
    await n.ctl(['join_cluster', nodes[0]!.node]); console.log(' join', Date.now() - t);
    await n.ctl(['start_app']); console.log(' start_app', Date.now() - t);
    await n.ctl(['await_startup', '--timeout', '30']); console.log(' await', Date.now() - t);
  }
  console.log('joined', Date.now() - t0);
  const t = Date.now();
  await Promise.all(nodes.map((n) => n.destroy()));
  console.log('destroyed', Date.now() - t);
} finally {
  await stopAllTracked();
  hosts.destroy();
}
