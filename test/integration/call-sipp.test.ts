/**
 * Calls through the node between two sipp user agents, over UDP and over TCP: the caller
 * authenticates with a 407 round, the callee (registered first) rings and answers, and ACK and BYE
 * follow the route the node recorded (a BYE without the node's Route would be refused with 481).
 */
import t from 'tap';
import { freePorts } from '../helpers/ports.js';
import { runSippScenario, startSipp } from '../helpers/sipp-process.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** bob registers from a sipp that then answers calls for `seconds`. */
async function registeredCallee(t: Parameters<typeof startSipp>[0], node: TestNode, transport: 'udp' | 'tcp', seconds = 15) {
  const [port] = await freePorts(1);
  const callee = startSipp(t, 'call-callee-register.xml', [
    '-oocsf', `${process.cwd()}/test/sipp/call-callee.xml`,
    '-t', transport === 'udp' ? 'u1' : 't1',
    '-i', '127.0.0.1', '-p', String(port),
    '-key', 'domain', TEST_DOMAIN, '-s', 'bob', '-ap', USERS.bob, '-auth_uri', TEST_DOMAIN,
    '-d', String(seconds * 1000), '-m', '1',
    `127.0.0.1:${node.config.sipPort}`,
  ], seconds + 10);
  await until('bob to register', () => node.node.location.lookup('bob').length > 0);
  return callee;
}

function callerArgs(node: TestNode, transport: 'udp' | 'tcp', password = USERS.alice): string[] {
  return [
    '-t', transport === 'udp' ? 'u1' : 't1',
    '-i', '127.0.0.1',
    '-key', 'domain', TEST_DOMAIN, '-key', 'callee', 'bob',
    '-s', 'alice', '-ap', password, '-auth_uri', `bob@${TEST_DOMAIN}`,
    '-m', '1', '-d', '200',
    `127.0.0.1:${node.config.sipPort}`,
  ];
}

for (const transport of ['udp', 'tcp'] as const) {
  t.test(`sipp calls sipp through the node over ${transport.toUpperCase()}`, async (t) => {
    const node = await startTestNode(t, USERS);
    const callee = await registeredCallee(t, node, transport);
    const caller = await runSippScenario(t, 'call-caller.xml', callerArgs(node, transport));
    if (caller.code !== 0) t.comment(caller.output.slice(-3000));
    t.equal(caller.code, 0, 'the call completes: INVITE, 407, INVITE, 180, 200, ACK, BYE, 200');
    t.ok(node.logs.some((l) => l.includes('INVITE from alice to bob: 1 device(s)')), 'the node forked the call to bob');
    await callee.stop();
    const [call, ...others] = node.node.history.list('bob', { limit: 10 });
    t.same(others, [], 'one history row for the call');
    t.match(call, { caller: 'alice', callee: 'bob', outcome: 'answered' }, 'answered, from alice to bob');
    t.ok(call!.answeredAt! >= call!.startedAt && call!.endedAt >= call!.answeredAt!, 'start, answer and end in order');
    t.equal(call!.devices.length, 1, 'one device rung');
    await callee.stop();
  });
}
