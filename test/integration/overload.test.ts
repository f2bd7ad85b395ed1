/**
 * A node at its `max_requests_in_progress`: sipp rings bob ten times at once and holds the calls;
 * meanwhile a new call and a REGISTER get 503 with Retry-After, while the ten callers' CANCELs
 * still pass and end their calls; once they have, the node takes new requests again.
 * Then the same node under a flood of new INVITEs: the ten calls it took on are answered, acknowledged
 * and hung up all the same, and it refuses the flood with at most `max_requests_in_progress` 503s a
 * second, dropping the rest unanswered.
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
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

/** A new INVITE for bob without credentials, as a flood sends them: each its own call. */
function floodInvite(port: number, n: number): Buffer {
  return Buffer.from(
    [
      `INVITE sip:bob@${TEST_DOMAIN} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKflood${n};rport`,
      'Max-Forwards: 70',
      `From: <sip:mallory@${TEST_DOMAIN}>;tag=f${n}`,
      `To: <sip:bob@${TEST_DOMAIN}>`,
      `Call-ID: flood-${n}@127.0.0.1`,
      'CSeq: 1 INVITE',
      `Contact: <sip:mallory@127.0.0.1:${port}>`,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );
}

t.test('under a flood of new calls, the calls the node took on complete, and the flood gets a bounded number of 503s', async (t) => {
  const node = await startTestNode(t, USERS, { maxRequestsInProgress: LIMIT });
  const bob = await registerSippDevice(t, node, { user: 'bob', password: USERS.bob, scenario: 'call-callee-answers-late.xml', seconds: 30 });

  // Ten calls from alice, each answered two seconds after it rings and hung up half a second later.
  const [port] = await freePorts(1);
  const alice = startSipp(t, 'call-caller.xml', [
    '-timeout_error', '-t', 'u1', '-i', '127.0.0.1', '-p', String(port!),
    '-key', 'domain', TEST_DOMAIN, '-key', 'callee', 'bob', '-s', 'alice', '-ap', USERS.alice, '-auth_uri', `bob@${TEST_DOMAIN}`,
    '-m', String(LIMIT), '-l', String(LIMIT), '-r', '50', '-d', '500',
    `127.0.0.1:${node.config.sipPort}`,
  ], 30);
  await until(() => bob.received(/^INVITE /).length === LIMIT, `bob to ring ${LIMIT} times`, 10_000);

  // The flood: 100 new INVITEs every 20 ms while alice's calls are answered, acknowledged and hung up.
  const mallory = createSocket('udp4');
  t.teardown(() => mallory.close());
  mallory.bind(0, '127.0.0.1');
  await once(mallory, 'listening');
  const floodPort = mallory.address().port;
  const answers = new Map<number, number>();
  let withoutRetryAfter = 0;
  mallory.on('message', (data) => {
    const text = data.toString('latin1');
    const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1]);
    answers.set(status, (answers.get(status) ?? 0) + 1);
    if (status === 503 && !/^Retry-After: *\d+/im.test(text)) withoutRetryAfter++;
  });
  let sent = 0;
  const started = Date.now();
  let ended: number | undefined;
  const aliceDone = alice.exited.then((r) => {
    ended = Date.now();
    return r;
  });
  while (ended === undefined && Date.now() - started < 20_000) {
    for (let i = 0; i < 100; i++) mallory.send(floodInvite(floodPort, sent++), node.config.sipPort, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const { code, output } = await aliceDone;
  const floodSeconds = (ended! - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 500));

  t.equal(code, 0, `all ten of alice's calls completed (200, ACK, BYE, 200) under the flood: ${output.slice(-600)}`);
  t.equal(bob.received(/^BYE /).length, LIMIT, 'bob was sent every BYE');
  t.ok(sent > 10 * LIMIT * (floodSeconds + 1), `the flood outran the 503 budget: ${sent} INVITEs in ${floodSeconds.toFixed(1)} s`);
  const refused = answers.get(503) ?? 0;
  t.ok(refused > 0, `the flood was refused with 503 (${refused})`);
  t.equal(withoutRetryAfter, 0, 'every 503 with Retry-After');
  t.ok(refused <= LIMIT * (floodSeconds + 2), `at most ${LIMIT} 503s a second and a burst of ${LIMIT}: ${refused} in ${floodSeconds.toFixed(1)} s`);
  const answered = [...answers.values()].reduce((a, b) => a + b, 0);
  t.ok(answered < sent, `the rest dropped unanswered: ${sent - answered} of ${sent} (${JSON.stringify(Object.fromEntries(answers))})`);
  t.ok(node.logs.some((l) => l.includes('dropped unanswered')), 'the drops are logged');
});
