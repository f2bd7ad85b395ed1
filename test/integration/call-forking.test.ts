/**
 * How the node ends a call that rings more than one device, or none (RFC 3261 §16.6-16.10), with
 * real peers: sipp phones on UDP and SIP.js on WebSocket as bob's devices, sipp or SIP.js as alice.
 *
 *   - every device rings; the first to answer wins and the others get CANCEL with
 *     `Reason: SIP;cause=200;text="Call completed elsewhere"` (RFC 3326);
 *   - the caller's CANCEL: 200 for it, 487 for the INVITE, CANCEL to every device;
 *   - every device busy: 486; no device: 480; no such user: 404; nobody answers: 480 at ring_timeout;
 *   - requests the node refuses reach no device: a wrong password, a From that is not the
 *     authenticated user, a foreign domain; and requests inside a dialog are never challenged.
 *
 * Each sipp peer traces what it sent and received (sipp-peers.ts), so "the device got a CANCEL" and
 * "nothing reached the device" are read from the device's own record.
 */
import t, { type Test } from 'tap';
import { SessionState } from 'sip.js';
import { cseqMethod, headerEntries, headerValues, isResponse, responsesFrom, startLine } from '../helpers/sip-text.js';
import { until, within } from '../helpers/sip-ua.js';
import { finalStatus, hangUp, reaches, startSipJsPhone, type SipJsPhone } from '../helpers/sipjs-phone.js';
import { registerSippDevice, runSippCaller, type SippDevice } from '../helpers/sipp-peers.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';
import { installSipWebSocket, type SipSockets } from '../helpers/ws-for-sip-clients.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
const ANSWERED_ELSEWHERE = 'SIP;cause=200;text="Call completed elsewhere"';
const BOB = `sip:bob@${TEST_DOMAIN}`;

function device(t: Test, node: TestNode, scenario: string): Promise<SippDevice> {
  return registerSippDevice(t, node, { user: 'bob', password: USERS.bob, scenario });
}

function sipJs(t: Test, node: TestNode, sockets: SipSockets, name: string, user: string, password: string, authUser?: string): Promise<SipJsPhone> {
  return startSipJsPhone(t, sockets, {
    server: `ws://127.0.0.1:${node.config.httpPort}`,
    name,
    user,
    password,
    domain: TEST_DOMAIN,
    ...(authUser ? { authUser } : {}),
  });
}

/** A sipp device that rang and was cancelled: CANCEL in, 200 and 487 out, the node's ACK in. */
async function checkCancelled(t: Test, phone: SippDevice, name: string): Promise<string> {
  const cancel = await phone.waitReceived(/^CANCEL /, `${name} to get CANCEL`);
  const terminated = await phone.waitSent(/^SIP\/2\.0 487 /, `${name} to answer its INVITE with 487`);
  const invite = phone.received(/^INVITE /)[0]?.text ?? '';
  t.same(headerEntries(terminated.text, 'Via'), headerEntries(invite, 'Via'), `${name}'s 487 carries the INVITE's Vias`);
  await phone.waitReceived(/^ACK /, `the node to acknowledge ${name}'s 487`);
  t.equal(phone.received(/^CANCEL /).length, 1, `${name} got one CANCEL`);
  t.ok(phone.sent(/^SIP\/2\.0 200 /).some((m) => cseqMethod(m.text) === 'CANCEL'), `${name} answered the CANCEL 200`);
  return cancel.text;
}

/** Give anything the node might still relay time to arrive, then say nothing did. */
async function checkNothingRelayed(t: Test, phone: SippDevice): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.same(phone.received(/^(INVITE|ACK|CANCEL|BYE) /).map((m) => m.startLine), [], "nothing reached bob's device");
}

t.test("bob's two sipp phones both ring; one answers, the other is cancelled as answered elsewhere", async (t) => {
  const node = await startTestNode(t, USERS);
  const answers = await device(t, node, 'call-callee.xml');
  const rings = await device(t, node, 'call-callee-rings.xml');
  t.equal(node.node.location.lookup('bob').length, 2, 'bob has two bindings');

  const caller = await runSippCaller(t, node, { scenario: 'call-caller.xml', user: 'alice', password: USERS.alice, callee: 'bob' });
  if (caller.code !== 0) t.comment(caller.output.slice(-3000));
  t.equal(caller.code, 0, "alice's call completes: INVITE, 407, INVITE, 200, ACK, BYE, 200");
  t.equal(caller.received(/^SIP\/2\.0 200 /).filter((m) => cseqMethod(m.text) === 'INVITE').length, 1, 'alice gets one 200 for her INVITE');
  t.equal(caller.received(/^SIP\/2\.0 407 /).length, 1, 'only the first INVITE is challenged: not the ACK, not the BYE');

  t.equal(answers.received(/^INVITE /).length, 1, 'the first phone rang');
  t.equal(rings.received(/^INVITE /).length, 1, 'the second phone rang');
  await answers.waitReceived(/^BYE /, "alice's BYE to reach the phone that answered");
  const cancel = await checkCancelled(t, rings, 'the phone that did not answer');
  t.same(headerValues(cancel, 'Reason'), [ANSWERED_ELSEWHERE], 'the CANCEL says the call was completed elsewhere');
  t.ok(node.logs.some((l) => l.includes('INVITE from alice to bob: 2 device(s)')), 'the node forked to both');
});

for (const answering of ['SIP.js', 'sipp'] as const) {
  const ringing = answering === 'SIP.js' ? 'sipp' : 'SIP.js';
  t.test(`bob on a sipp phone (UDP) and on SIP.js (ws): ${answering} answers, ${ringing} is cancelled`, async (t) => {
    const node = await startTestNode(t, USERS);
    const sockets = installSipWebSocket(t);
    const browser = await sipJs(t, node, sockets, 'bob-browser', 'bob', USERS.bob);
    await browser.register();
    const phone = await device(t, node, answering === 'sipp' ? 'call-callee.xml' : 'call-callee-rings.xml');
    t.equal(node.node.location.lookup('bob').length, 2, 'bob has two bindings');

    const incoming = browser.nextInvitation();
    const caller = runSippCaller(t, node, { scenario: 'call-caller.xml', user: 'alice', password: USERS.alice, callee: 'bob' });
    const invitation = await incoming;
    await phone.waitReceived(/^INVITE /, 'the sipp phone to ring');
    if (answering === 'SIP.js') {
      // Answer once the sipp phone's 180 has reached the node, so the CANCEL can go at once (§9.1).
      await phone.waitSent(/^SIP\/2\.0 180 /, 'the sipp phone to ring back');
      await within(invitation.accept(), 'SIP.js to answer');
    }
    const result = await caller;
    if (result.code !== 0) t.comment(result.output.slice(-3000));
    t.equal(result.code, 0, "alice's call completes");

    if (answering === 'SIP.js') {
      await reaches(invitation, SessionState.Terminated, "alice's BYE to end the call at SIP.js");
      t.ok(browser.received().some((m) => startLine(m).startsWith('BYE ')), "alice's BYE reached SIP.js");
      const cancel = await checkCancelled(t, phone, 'the sipp phone');
      t.same(headerValues(cancel, 'Reason'), [ANSWERED_ELSEWHERE], "the sipp phone's CANCEL says the call was completed elsewhere");
    } else {
      await reaches(invitation, SessionState.Terminated, 'the CANCEL to end the invitation at SIP.js');
      const cancels = browser.received().filter((m) => startLine(m).startsWith('CANCEL '));
      t.equal(cancels.length, 1, 'SIP.js got one CANCEL');
      t.same(headerValues(cancels[0] ?? '', 'Reason'), [ANSWERED_ELSEWHERE], "SIP.js's CANCEL says the call was completed elsewhere");
      t.ok(browser.sent().some((m) => isResponse(m, 487) && cseqMethod(m) === 'INVITE'), 'SIP.js answered its INVITE 487');
      await until(() => browser.received().some((m) => startLine(m).startsWith('ACK ')), "the node to acknowledge SIP.js's 487");
      await phone.waitReceived(/^BYE /, "alice's BYE to reach the sipp phone");
    }
  });
}

t.test('alice (sipp) cancels before bob answers: 200 for the CANCEL, 487 for the INVITE, CANCEL to the device', async (t) => {
  const node = await startTestNode(t, USERS);
  const phone = await device(t, node, 'call-callee-rings.xml');

  const caller = await runSippCaller(t, node, { scenario: 'call-caller-cancel.xml', user: 'alice', password: USERS.alice, callee: 'bob' });
  if (caller.code !== 0) t.comment(caller.output.slice(-3000));
  t.equal(caller.code, 0, 'alice: INVITE, 407, INVITE, 180, CANCEL, 200, 487, ACK');
  t.same(responsesFrom(caller.received(/^SIP\/2\.0 /).map((m) => m.text), 200), ['407 INVITE', '200 CANCEL', '487 INVITE'], "alice's final responses");
  const cancel = await checkCancelled(t, phone, 'the phone');
  t.same(headerValues(cancel, 'Reason'), [], 'the CANCEL has no Reason: alice gave none');
});

t.test('alice (SIP.js) cancels while two devices ring: both get CANCEL', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const phones = [await device(t, node, 'call-callee-rings.xml'), await device(t, node, 'call-callee-rings.xml')];
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const { inviter, final } = alice.call(BOB);
  await until(() => alice.received().some((m) => isResponse(m, 180)), 'the call to ring at SIP.js');
  await within(inviter.cancel(), 'SIP.js to send CANCEL');
  t.equal((await within(final, 'the INVITE to end')).status, 487, 'SIP.js gets 487 for its INVITE');
  const finals = responsesFrom(alice.received(), 200);
  t.same(finals.filter((f) => f !== '407 INVITE'), ['200 CANCEL', '487 INVITE'], 'and 200 for its CANCEL');
  for (const [i, phone] of phones.entries()) await checkCancelled(t, phone, `phone ${i + 1}`);
  await reaches(inviter, SessionState.Terminated, 'the call to end at SIP.js');
});

t.test('every device busy: alice gets 486', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const phones = [await device(t, node, 'call-callee-busy.xml'), await device(t, node, 'call-callee-busy.xml')];
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const { final } = alice.call(BOB);
  t.equal((await within(final, 'the INVITE to be answered')).status, 486, 'SIP.js gets 486 Busy Here');
  for (const [i, phone] of phones.entries()) {
    t.equal(phone.received(/^INVITE /).length, 1, `phone ${i + 1} rang`);
    await phone.waitReceived(/^ACK /, `the node to acknowledge phone ${i + 1}'s 486`);
  }
});

t.test('bob has no device: 480; nobody of that name: 404', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const offline = await within(alice.call(BOB).final, 'the INVITE for bob to be answered');
  t.equal(offline.status, 480, 'a user with no binding: 480 Temporarily Unavailable');
  const unknown = await within(alice.call(`sip:nobody@${TEST_DOMAIN}`).final, 'the INVITE for nobody to be answered');
  t.equal(unknown.status, 404, 'an unknown user: 404');
  t.equal(alice.received().filter((m) => isResponse(m, 407)).length, 2, 'each after its 407 round: only local users learn who exists');
});

t.test('nobody answers: alice gets 480 at the ring timeout and the device a CANCEL', async (t) => {
  const node = await startTestNode(t, USERS, { ringTimeout: 2 });
  const sockets = installSipWebSocket(t);
  const phone = await device(t, node, 'call-callee-rings.xml');
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const startedAt = Date.now();
  const { final } = alice.call(BOB);
  await phone.waitReceived(/^INVITE /, 'the phone to ring');
  const outcome = await within(final, 'the ring timeout to end the call', 8000);
  const elapsed = (Date.now() - startedAt) / 1000;
  t.equal(outcome.status, 480, 'SIP.js gets 480');
  t.ok(elapsed >= 1.9 && elapsed < 4, `after the 2 s ring timeout (${elapsed.toFixed(2)} s)`);
  const cancel = await checkCancelled(t, phone, 'the phone');
  t.same(headerValues(cancel, 'Reason'), [], 'the CANCEL does not claim the call was answered elsewhere');
});

t.test('a wrong password: 407 again, SIP.js gives up, nothing relayed', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const phone = await device(t, node, 'call-callee.xml');
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', 'not-the-password');

  t.equal((await within(alice.call(BOB).final, 'the INVITE to be answered')).status, 407, 'SIP.js reports the second 407');
  const invites = alice.sent().filter((m) => startLine(m).startsWith('INVITE '));
  t.equal(invites.length, 2, 'SIP.js tried once with credentials');
  t.same(invites.map((m) => headerValues(m, 'Proxy-Authorization').length), [0, 1], 'the second INVITE carried them');
  await checkNothingRelayed(t, phone);
});

t.test('alice authenticates but sends as bob: 403, nothing relayed', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const phone = await device(t, node, 'call-callee.xml');
  const mallory = await sipJs(t, node, sockets, 'mallory', 'bob', USERS.alice, 'alice');

  const outcome = await within(mallory.call(BOB).final, 'the INVITE to be answered');
  t.same(outcome, { status: 403, reason: 'Authenticated user does not match From' }, '403: one may only call as oneself');
  await checkNothingRelayed(t, phone);
});

t.test('an INVITE for a domain the node does not serve: 403, nothing relayed', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const phone = await device(t, node, 'call-callee.xml');
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const outcome = await within(alice.call('sip:bob@elsewhere.mesh').final, 'the INVITE to be answered');
  t.equal(outcome.status, 403, '403');
  t.match(outcome.reason, /^Not relaying/, `the reason says so: ${outcome.reason}`);
  await checkNothingRelayed(t, phone);
});

t.test('an ACK and a BYE inside no recorded dialog are never challenged', async (t) => {
  const node = await startTestNode(t, USERS);
  const stray = await runSippCaller(t, node, { scenario: 'call-stray-in-dialog.xml', user: 'alice', callee: 'bob' });
  if (stray.code !== 0) t.comment(stray.output.slice(-3000));
  t.equal(stray.code, 0, 'the ACK gets no answer, the BYE gets 481');
  t.same(stray.received(/^SIP\/2\.0 /).map((m) => m.startLine), ['SIP/2.0 481 Call/Transaction Does Not Exist'], 'no 407, only the 481 for the BYE');
});

t.test('requests inside a call pass the node unchallenged both ways: re-INVITE, INFO, BYE (SIP.js to SIP.js on ws)', async (t) => {
  const node = await startTestNode(t, USERS);
  const sockets = installSipWebSocket(t);
  const bob = await sipJs(t, node, sockets, 'bob', 'bob', USERS.bob);
  await bob.register();
  const alice = await sipJs(t, node, sockets, 'alice', 'alice', USERS.alice);

  const incoming = bob.nextInvitation();
  const { inviter, final } = alice.call(BOB);
  const invitation = await incoming;
  await within(invitation.accept(), 'bob to answer');
  t.equal((await within(final, 'the INVITE to be answered')).status, 200, 'the call is answered');
  await reaches(inviter, SessionState.Established, 'the call to be established at alice');
  const ok = alice.received().find((m) => isResponse(m, 200) && cseqMethod(m) === 'INVITE') ?? '';
  t.equal(headerEntries(ok, 'Record-Route').length, 1, 'one Record-Route entry: the transport does not change');
  // RFC 3261 §14.1: no re-INVITE while the first INVITE waits for its ACK (SIP.js ends the call if so).
  await until(() => bob.received().some((m) => startLine(m).startsWith('ACK ')), 'the ACK to reach bob');

  t.equal(
    await finalStatus((requestDelegate) => invitation.invite({ requestDelegate }), "bob's re-INVITE to be answered"),
    200,
    "bob's re-INVITE (upstream, towards the caller) is answered 200",
  );
  const dtmf = { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: 'Signal=5\r\nDuration=160\r\n' };
  t.equal(
    await finalStatus((requestDelegate) => inviter.info({ requestDelegate, requestOptions: { body: dtmf } }), "alice's INFO to be answered"),
    200,
    "alice's INFO (downstream, towards the callee) is answered 200",
  );
  t.equal(await hangUp(invitation, "bob's BYE to be answered"), 200, "bob's BYE is answered 200");
  await reaches(inviter, SessionState.Terminated, 'the call to end at alice');

  const methods = (messages: string[]) => messages.map(startLine).filter((l) => !l.startsWith('SIP/2.0')).map((l) => l.split(' ')[0]);
  t.same(methods(bob.received()), ['INVITE', 'ACK', 'INFO'], 'bob got the INVITE, the ACK and the INFO');
  t.same(methods(alice.received()), ['INVITE', 'ACK', 'BYE'], 'alice got the re-INVITE, its ACK and the BYE');
  t.same(responsesFrom(alice.received(), 300), ['407 INVITE'], 'only alice\'s first INVITE was challenged');
  t.same(responsesFrom(bob.received(), 300), ['401 REGISTER'], 'none of bob\'s requests was challenged but his REGISTER');
});
