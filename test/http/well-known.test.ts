/** GET /.well-known/trucada over real HTTPS against a running node: its signed descriptor. */
import t from 'tap';
import { parseDescriptor } from '../../src/federation/descriptor.js';
import { loadOrCreateIdentity } from '../../src/federation/node-identity.js';
import { silentLogger } from '../../src/log.js';
import { httpsRequest } from '../helpers/https-client.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

t.test("the node serves its descriptor, signed by its node key, with its SIP port and users", async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret-1', alice: 'alice-secret' });
  const answer = await httpsRequest(node.config.httpsPort, 'GET', '/.well-known/trucada');
  t.equal(answer.status, 200);
  t.match(answer.headers['content-type'], /^application\/json/);
  t.equal(answer.headers['cache-control'], 'no-store');
  const r = parseDescriptor(answer.body);
  if (!r.ok) throw new Error(r.why);
  t.equal(r.descriptor.id, loadOrCreateIdentity(node.config.dataDir, silentLogger).id, 'the key in data_dir');
  t.equal(r.descriptor.domain, TEST_DOMAIN);
  t.same(r.descriptor.sip, { udp: node.config.sipPort, tcp: node.config.sipPort });
  t.same(r.descriptor.users, ['alice', 'bob']);
  t.ok(Math.abs(r.descriptor.time - Date.now()) < 10_000, 'time is the node clock');

  node.addUser('carol', 'carol-secret');
  const after = parseDescriptor((await httpsRequest(node.config.httpsPort, 'GET', '/.well-known/trucada?x=1')).body);
  if (!after.ok) throw new Error(after.why);
  t.same(after.descriptor.users, ['alice', 'bob', 'carol']);
  t.equal(after.descriptor.seq, r.descriptor.seq + 1, 'a new user steps seq');

  const head = await httpsRequest(node.config.httpsPort, 'HEAD', '/.well-known/trucada');
  t.same([head.status, head.text], [200, '']);
  const post = await httpsRequest(node.config.httpsPort, 'POST', '/.well-known/trucada', { body: '{}' });
  t.same([post.status, post.headers.allow], [405, 'GET, HEAD']);
});
