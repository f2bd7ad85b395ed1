/**
 * NAT keep-alive on a real node (nat_ping_interval 1 s) with sipp phones over UDP: two register
 * with a Via and Contact naming a private side (198.18.0.60, never sent to) that is not where
 * they send from, as behind a NAT. The one that answers the
 * node's OPTIONS stays registered; the one that stays silent is unregistered once Timer F (32 s)
 * runs out. A third registers its real port, is not behind NAT, and is never pinged: it does not
 * answer either, yet stays.
 */
import { join } from 'node:path';
import t from 'tap';
import { freePorts } from '../helpers/ports.js';
import { SIPP_SCENARIOS } from '../helpers/sipp.js';
import { startSipp } from '../helpers/sipp-process.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
/** Timer F (64*T1) plus the first round and some slack. */
const DROP_WITHIN_MS = 45_000;
const PHONE_SECONDS = 60;
/** The phones' side of the NAT: written in their Via and Contact, never sent to. */
const PRIVATE_SIDE = '198.18.0.60';

async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A sipp phone registered over UDP; `natted`: its Via and Contact name another address and port than its own, as behind a NAT. */
async function phone(t: Parameters<typeof startSipp>[0], node: TestNode, user: keyof typeof USERS, ooc: string, natted: boolean) {
  const [port] = await freePorts(1);
  const args = [
    '-oocsf', join(SIPP_SCENARIOS, ooc),
    '-t', 'u1', '-i', '127.0.0.1', '-p', String(port),
    '-key', 'domain', TEST_DOMAIN, '-key', 'private_ip', PRIVATE_SIDE, '-key', 'contact_port', String(port! - 1),
    '-s', user, '-ap', USERS[user], '-auth_uri', TEST_DOMAIN,
    '-d', String(PHONE_SECONDS * 1000), '-m', '1',
    `127.0.0.1:${node.config.sipPort}`,
  ];
  const sipp = startSipp(t, natted ? 'keepalive-register.xml' : 'call-callee-register.xml', args, PHONE_SECONDS + 10);
  await until(`${user} to register`, () => node.node.location.lookup(user).length > 0, 10_000);
  return sipp;
}

t.test('UDP bindings behind NAT are pinged; the silent one is dropped', async (t) => {
  const node = await startTestNode(t, USERS, { natPingInterval: 1 });
  const alice = await phone(t, node, 'alice', 'keepalive-answer.xml', true);
  const bob = await phone(t, node, 'bob', 'keepalive-silent.xml', true);
  const carol = await phone(t, node, 'carol', 'keepalive-silent.xml', false);
  const [aliceContact] = node.node.location.lookup('alice').map((b) => b.contact);
  t.match(aliceContact, /^sip:alice@198\.18\.0\.60:\d+;transport=UDP$/, 'alice registered her NAT-side Contact');

  await until('bob to be dropped', () => node.node.location.lookup('bob').length === 0, DROP_WITHIN_MS);
  t.ok(
    node.logs.some((l) => /^info: unregister bob sip:bob@198\.18\.0\.60:\d+;transport=UDP: no answer to keep-alive OPTIONS$/.test(l)),
    'bob, who never answered, was unregistered for it',
  );
  t.ok(node.logs.some((l) => l.includes('keep-alive: 2 UDP binding(s) behind NAT')), 'both NATed phones were pinged in one round');
  t.notOk(node.logs.some((l) => /keep-alive: [3-9]/.test(l)), 'carol, reached where her Contact says, was never counted');
  t.equal(node.node.location.lookup('alice').length, 1, 'alice answered every ping and stays, after as long as bob took to go');
  t.equal(node.node.location.lookup('carol').length, 1, 'carol, never pinged, stays although she would not have answered');
  t.notOk(node.logs.some((l) => /unregister (alice|carol)/.test(l)), 'nobody else was unregistered');

  for (const sipp of [alice, bob, carol]) await sipp.stop();
});
