/**
 * Linphone, the desk softphone a new user of the mesh is most likely to install, against the node:
 * Debian's linphone-cli 5.1 driven headless (linphone-daemon, test/helpers/linphone.ts), one
 * phone registered over UDP and one over TCP.
 *
 *   - they call each other through the node both ways, either end hangs up, and each end hears
 *     the other's tone (RTP flows between them: it never crosses the node); the node keeps one
 *     answered call in its history per call;
 *   - MESSAGE both ways arrives as sent, and the sender sees it delivered;
 *   - one user on two Linphones (UDP and TCP): both ring, the one that answers gets the call and
 *     the other stops ringing on the node's CANCEL with `Reason: SIP;cause=200` (RFC 3326);
 *   - a TCP Linphone that is gone is not dialled (issue 15): its Contact is its connection's own
 *     ephemeral port (not the port it listens on), where nothing listens once the connection is
 *     gone, so the binding dies with the connection (as RFC 5626 §4.4 has flows do), a call to it
 *     gets 480 at once instead of no answer, and a MESSAGE for it is kept and handed to its next
 *     registration;
 *   - when the node closes an idle TCP connection, Linphone registers again on a new one at once
 *     and gets calls there; once it is gone, a call gets 480 at once too.
 *
 * A Linphone is ended with SIGKILL to make it drop its connection without a word. It also closes
 * and reopens its TCP connection on its own at times (issue 15 saw it after a call), but not on
 * demand, so no test can make it do that; the node's idle timeout stands in for it.
 */
import t, { type Test } from 'tap';
import { Linphone, type CallState } from '../helpers/linphone.js';
import { headerValues, responsesFrom, startLine } from '../helpers/sip-text.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
type User = keyof typeof USERS;

const OUTGOING_ANSWERED: CallState[] = ['OutgoingInit', 'OutgoingProgress', 'OutgoingRinging', 'Connected', 'StreamsRunning', 'End', 'Released'];
const INCOMING_ANSWERED: CallState[] = ['IncomingReceived', 'Connected', 'StreamsRunning', 'End', 'Released'];
const INCOMING_CANCELLED: CallState[] = ['IncomingReceived', 'End', 'Released'];
/** kbit/s: the tone in Opus is 30-50, a silent Linphone sends about 2. */
const TONE_KBPS = 20;

function linphone(t: Test, node: TestNode, user: User, transport: 'udp' | 'tcp'): Promise<Linphone> {
  return Linphone.start(t, node, { user, password: USERS[user], transport });
}

/** Answered calls from `caller` to `callee` in the node's history. */
function answeredCalls(node: TestNode, caller: string, callee: string): number {
  return node.node.history.list(callee, { limit: 100 }).filter((c) => c.caller === caller && c.outcome === 'answered').length;
}

/** `caller` calls `callee`'s user, which rings on `callee` and is answered there; both ids. */
async function connect(caller: Linphone, callee: Linphone): Promise<{ out: number; inc: number }> {
  const out = await caller.call(callee.user);
  const inc = await callee.incomingCall();
  await caller.waitCallState(out, 'OutgoingRinging');
  await callee.answer(inc);
  await Promise.all([caller.waitCallState(out, 'StreamsRunning'), callee.waitCallState(inc, 'StreamsRunning')]);
  return { out, inc };
}

/** Both ends play the tone; each must log a received rate the tone alone explains. */
async function checkMedia(t: Test, a: { phone: Linphone; id: number }, b: { phone: Linphone; id: number }): Promise<void> {
  const before = [a.phone.rtpRates().length, b.phone.rtpRates().length];
  await a.phone.playTone(a.id);
  await b.phone.playTone(b.id);
  const hears = (phone: Linphone, from: number) => phone.rtpRates().slice(from).some((r) => r.down > TONE_KBPS);
  await until(() => hears(a.phone, before[0]!) && hears(b.phone, before[1]!), 'each Linphone to receive the other\'s tone', 6000);
  t.pass(`RTP flows both ways: ${a.phone.user} and ${b.phone.user} each receive over ${TONE_KBPS} kbit/s`);
}

t.test('a UDP and a TCP Linphone call each other through the node, both ways, and either end hangs up; MESSAGE both ways', async (t) => {
  const node = await startTestNode(t, USERS);
  const alice = await linphone(t, node, 'alice', 'udp');
  const bob = await linphone(t, node, 'bob', 'tcp');

  t.match(alice.binding()?.contact, `sip:alice@127.0.0.1:${alice.sipPort};transport=udp`, 'the UDP Linphone is bound at the port it listens on');
  const bobContact = /^sip:bob@127\.0\.0\.1:(\d+);transport=tcp$/.exec(bob.binding()?.contact ?? '');
  t.ok(bobContact, `the TCP Linphone is bound with a TCP contact (${bob.binding()?.contact})`);
  t.not(Number(bobContact?.[1]), bob.sipPort, 'its Contact is its connection\'s port, not the port it listens on');
  t.equal(Number(bobContact?.[1]), bob.binding()?.flow.remotePort, 'the very port the connection comes from');

  for (const [caller, callee] of [[alice, bob], [bob, alice]] as const) {
    for (const hangsUp of ['caller', 'callee'] as const) {
      await t.test(`${caller.user} (${caller.options.transport}) calls ${callee.user} (${callee.options.transport}), the ${hangsUp} hangs up`, async (t) => {
        const answered = answeredCalls(node, caller.user, callee.user);
        const { out, inc } = await connect(caller, callee);
        await checkMedia(t, { phone: caller, id: out }, { phone: callee, id: inc });

        const [ender, endId] = hangsUp === 'caller' ? [caller, out] : [callee, inc];
        const repliesBefore = responsesFrom(ender.receivedSip(), 200).length;
        await ender.terminate(endId);
        await Promise.all([caller.waitCallState(out, 'Released'), callee.waitCallState(inc, 'Released')]);
        t.same(caller.callStates(out), OUTGOING_ANSWERED, `${caller.user}'s call: rang, answered, ended`);
        t.same(callee.callStates(inc), INCOMING_ANSWERED, `${callee.user}'s call: rang, answered, ended`);
        await until(() => responsesFrom(ender.receivedSip(), 200).slice(repliesBefore).includes('200 BYE'), `the ${hangsUp}'s BYE to be answered`);
        t.pass(`the ${hangsUp}'s BYE went through the node and got 200`);
        await until(() => answeredCalls(node, caller.user, callee.user) === answered + 1, 'the node to keep the answered call in its history');
        t.pass(`the node's history has the call from ${caller.user} to ${callee.user} as answered`);
      });
    }
  }

  for (const [from, to] of [[alice, bob], [bob, alice]] as const) {
    const text = `hello ${to.user}, this is ${from.user} over ${from.options.transport}`;
    const id = await from.sendMessage(to.user, text);
    t.equal(await to.waitMessage(text), `sip:${from.user}@${TEST_DOMAIN}`, `${to.user} receives "${text}" from ${from.user}`);
    await from.waitMessageState(id, 'Delivered');
    t.pass(`${from.user} sees the MESSAGE delivered`);
  }
});

t.test('one user on two Linphones, UDP and TCP: both ring, the one that answers gets the call, the other stops ringing', async (t) => {
  const node = await startTestNode(t, USERS);
  const alice = await linphone(t, node, 'alice', 'udp');
  const bobs = [await linphone(t, node, 'bob', 'udp'), await linphone(t, node, 'bob', 'tcp')] as const;
  t.equal(node.node.location.lookup('bob').length, 2, 'bob has two bindings');

  for (const [answerer, other] of [bobs, [bobs[1], bobs[0]]] as const) {
    await t.test(`the ${answerer.options.transport.toUpperCase()} one answers`, async (t) => {
      const out = await alice.call('bob');
      const [inc, rung] = await Promise.all([answerer.incomingCall(), other.incomingCall()]);
      await answerer.answer(inc);
      await Promise.all([alice.waitCallState(out, 'StreamsRunning'), other.waitCallState(rung, 'Released')]);
      t.same(other.callStates(rung), INCOMING_CANCELLED, `the ${other.options.transport.toUpperCase()} one rang and stopped`);
      const cancel = other.receivedSip().filter((m) => startLine(m).startsWith('CANCEL ')).at(-1) ?? '';
      t.same(headerValues(cancel, 'Reason'), ['SIP;cause=200;text="Call completed elsewhere"'], 'stopped by the node\'s CANCEL: answered elsewhere');

      await alice.terminate(out);
      await Promise.all([alice.waitCallState(out, 'Released'), answerer.waitCallState(inc, 'Released')]);
      t.same(answerer.callStates(inc), INCOMING_ANSWERED, 'the call was answered and ended on the answering one');
    });
  }
  await until(() => answeredCalls(node, 'alice', 'bob') === 2, 'the node to keep both calls');
  t.same(node.node.history.list('bob', { limit: 10 }).map((c) => c.devices.length), [2, 2], 'each call rang both devices');
});

t.test('a TCP Linphone whose connection is gone is not dialled: a call gets 480 at once, a MESSAGE waits for it', async (t) => {
  const node = await startTestNode(t, USERS);
  const alice = await linphone(t, node, 'alice', 'udp');
  const carol = await linphone(t, node, 'carol', 'tcp');
  await carol.kill();
  const gone = await until(() => node.node.location.lookup('carol').length === 0, 'the binding to go', 2000).then(() => true, () => false);
  t.ok(gone, 'carol\'s binding went with her connection');

  const started = Date.now();
  const out = await alice.call('carol');
  await alice.waitCallState(out, 'Released', 3000);
  t.same(alice.callStates(out), ['OutgoingInit', 'OutgoingProgress', 'Error', 'Released'], 'the call fails at once');
  t.ok(responsesFrom(alice.receivedSip(), 300).includes('480 INVITE'), 'with 480 Temporarily Unavailable');
  t.ok(Date.now() - started < 3000, `within ${Date.now() - started} ms`);

  const text = 'carol, call me back';
  const id = await alice.sendMessage('carol', text);
  await alice.waitMessageState(id, 'Delivered', 3000);
  t.pass('the node takes the MESSAGE for carol');
  const back = await linphone(t, node, 'carol', 'tcp');
  t.equal(await back.waitMessage(text), `sip:alice@${TEST_DOMAIN}`, 'and hands it to carol\'s Linphone when it registers again');
});

t.test('the node closes an idle TCP connection: Linphone registers again on a new one and gets calls; once it is gone, a call gets 480 at once', async (t) => {
  // idle_timeout at its least: Linphone sends nothing on an idle connection for longer than that.
  const node = await startTestNode(t, USERS, { idleTimeout: 10 });
  const alice = await linphone(t, node, 'alice', 'udp');
  const bob = await linphone(t, node, 'bob', 'tcp');
  const first = bob.binding()!.flowId;
  const moved = () => {
    const bindings = node.node.location.lookup('bob');
    return bindings.length > 0 && bindings.every((b) => b.flowId !== first);
  };
  await until(moved, 'bob\'s Linphone to register again on a new connection', 15_000);
  // Linphone's first REGISTER on the new connection names the port it listens on; the 200's
  // `received`/`rport` then makes it register the connection's own port as well, and it keeps
  // both. The first outlives the connection, so after the kill below the node dials the port it
  // names (next-hop.ts) and is refused: 480 then comes from the failed branch, where carol above
  // had no binding left.
  t.pass(`bob registered again: ${node.node.location.lookup('bob').map((b) => b.contact).join(', ')}`);

  const { out, inc } = await connect(alice, bob);
  await alice.terminate(out);
  await Promise.all([alice.waitCallState(out, 'Released'), bob.waitCallState(inc, 'Released')]);
  t.same(bob.callStates(inc), INCOMING_ANSWERED, 'a call reaches bob on the new connection');

  await bob.kill();
  const started = Date.now();
  const call = await alice.call('bob');
  await alice.waitCallState(call, 'Released', 3000);
  t.same(alice.callStates(call), ['OutgoingInit', 'OutgoingProgress', 'Error', 'Released'], 'once bob is gone, a call fails at once');
  t.ok(responsesFrom(alice.receivedSip(), 300).includes('480 INVITE'), 'with 480: no device could be reached');
  t.ok(Date.now() - started < 3000, `within ${Date.now() - started} ms`);
});
