/**
 * A node at its `max_requests_in_progress`: sipp rings bob ten times at once and holds the calls;
 * meanwhile a new call and a REGISTER get 503 with Retry-After, while the ten callers' CANCELs
 * still pass and end their calls; once they have, the node takes new requests again.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import t from 'tap';
import { freePorts } from '../helpers/ports.js';
import { rawSipPeer } from '../helpers/raw-sip-peer.js';
import { registerSippDevice } from '../helpers/sipp-peers.js';
import { startSipp } from '../helpers/sipp-process.js';
import { readSippTrace, sippTraceArgs } from '../helpers/sipp-trace.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
const LIMIT = 10;

t.test('past max_requests_in_progress new requests get 503 with Retry-After; CANCEL still passes', async (t) => {
  const node = await startTestNode(t, USERS, { maxRequestsInProgress: LIMIT });
  const bob = await registerSippDevice(t, node, { user: 'bob', password: USERS.bob, scenario: 'call-callee-rings.xml', seconds: 30 });

  // Ten calls from alice that ring for four seconds each, then are cancelled.
  const [port] = await freePorts(1);
  const dir = mkdtempSync(join(tmpdir(), 'trucada-overload-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const trace = join(dir, 'alice.log');
  const alice = startSipp(t, 'call-caller-cancel.xml', [
    '-timeout_error', '-t', 'u1', '-i', '127.0.0.1', '-p', String(port!),
    '-key', 'domain', TEST_DOMAIN, '-key', 'callee', 'bob', '-s', 'alice', '-ap', USERS.alice, '-auth_uri', `bob@${TEST_DOMAIN}`,
    '-m', String(LIMIT), '-l', String(LIMIT), '-r', '50', '-d', '4000',
    ...sippTraceArgs(trace),
    `127.0.0.1:${node.config.sipPort}`,
  ], 30);
  await until(() => bob.received(/^INVITE /).length === LIMIT, `bob to ring ${LIMIT} times`, 10_000);

  const carol = await rawSipPeer(t, { transport: 'udp', nodePort: node.config.sipPort, user: 'carol', password: USERS.carol });
  const call = await carol.send({ method: 'INVITE', to: 'bob' });
  t.equal(call.status, 503, 'an eleventh call is refused');
  const retryAfter = Number(call.headers.get('retry-after'));
  t.ok(retryAfter >= 5 && retryAfter < 15, `with Retry-After in 5-14 s (${retryAfter})`);
  const register = await carol.send({ method: 'REGISTER', to: 'carol', contact: `<sip:carol@127.0.0.1:${carol.localPort}>` });
  t.equal(register.status, 503, 'a REGISTER too');
  t.equal(bob.received(/^INVITE /).length, LIMIT, 'bob was not rung for the refused call');

  const { code, output } = await alice.exited;
  t.equal(code, 0, `every one of alice's calls ended as CANCEL, 200, 487 while the node was full: ${output.slice(-600)}`);
  t.equal(readSippTrace(trace).filter((m) => m.direction === 'received' && /^SIP\/2\.0 487 /.test(m.startLine)).length, LIMIT, 'ten 487s for the ten cancelled calls');

  const again = await carol.send({ method: 'REGISTER', to: 'carol', contact: `<sip:carol@127.0.0.1:${carol.localPort}>` });
  t.equal(again.status, 200, 'with the calls gone the node registers again');
  t.equal(node.logs.filter((l) => l.includes('overloaded: 10 requests in progress (max_requests_in_progress)')).length, 2, 'each refusal logged (the log is capped per minute)');
});
