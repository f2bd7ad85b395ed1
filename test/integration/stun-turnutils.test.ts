/**
 * A real STUN client against the node: coturn's `turnutils_stunclient` (Debian package coturn)
 * learns its reflexive address from the node's responder over IPv4 and IPv6 loopback.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { freePorts, hasIpv6Loopback } from '../helpers/ports.js';
import { startTestNode } from '../helpers/test-node.js';

const run = promisify(execFile);
const have = await run('sh', ['-c', 'command -v turnutils_stunclient']).then(
  () => true,
  () => false,
);
const ipv6 = await hasIpv6Loopback();

async function stunclient(port: number, host: string): Promise<string> {
  const { stdout, stderr } = await run('turnutils_stunclient', ['-p', String(port), host], { timeout: 10_000 });
  return stdout + stderr;
}

t.test('turnutils_stunclient gets its reflexive address over 127.0.0.1 and ::1', { skip: have ? false : 'turnutils_stunclient missing (apt-get install coturn)' }, async (t) => {
  const hosts = ipv6 ? ['127.0.0.1', '::1'] : ['127.0.0.1'];
  const [stunPort] = await freePorts(1, hosts);
  const { node } = await startTestNode(t, {}, { listen: hosts, stunPort: stunPort! });
  t.equal(node.ports.stun, stunPort);
  const v4 = await stunclient(stunPort!, '127.0.0.1');
  t.match(v4, /IPv4\. UDP reflexive addr: 127\.0\.0\.1:\d+/, v4);
  if (!ipv6) return;
  const v6 = await stunclient(stunPort!, '::1');
  t.match(v6, /IPv6\. UDP reflexive addr: ::1:\d+/, v6);
});

t.test('stun_port 0: no responder', async (t) => {
  const { node } = await startTestNode(t, {}, { stunPort: 0 });
  t.equal(node.ports.stun, 0);
});
