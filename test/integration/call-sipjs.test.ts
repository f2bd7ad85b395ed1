/**
 * Calls through the node between a SIP.js UserAgent in Node on WebSocket (the stack of the node's
 * page, with a fixed SDP: fixed-sdp-handler.ts) and a sipp phone on UDP, both ways, each side
 * hanging up in turn. The node bridges the transports: it forwards on the caller's or the callee's
 * WebSocket flow, records two Record-Route entries, one facing each transport (RFC 5658 §3.1), and
 * routes ACK and BYE along them (a BYE the node had not recorded would get 481). SIP.js drops a
 * response with more than one Via (DESIGN.md §3), so every response it gets is checked for one Via,
 * its own, unchanged but for received/rport.
 */
import t, { type Test } from 'tap';
import { SessionState } from 'sip.js';
import { cseqMethod, headerEntries, isResponse, responsesFrom, startLine } from '../helpers/sip-text.js';
import { until, within } from '../helpers/sip-ua.js';
import { hangUp, reaches, sdpOf, startSipJsPhone, type SipJsPhone } from '../helpers/sipjs-phone.js';
import { registerSippDevice, runSippCaller } from '../helpers/sipp-peers.js';
import { startTestNode, TEST_DOMAIN, type TestNode } from '../helpers/test-node.js';
import { installSipWebSocket } from '../helpers/ws-for-sip-clients.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };
/** The SDP audio ports of each end, to see each side got the other's SDP through the node. */
const SIPJS_AUDIO = 40000;
const SIPP_CALLEE_AUDIO = 6002;
const SIPP_CALLER_AUDIO = 6000;

function wsServer(node: TestNode, transport: 'ws' | 'wss'): string {
  return `${transport}://127.0.0.1:${transport === 'ws' ? node.config.httpPort : node.config.httpsPort}`;
}

/** A Via value without the parameters a server may add to it (RFC 3261 §18.2.1, RFC 3581). */
function bareVia(via: string): string {
  return via.replace(/;\s*(received|rport)(=[^;]*)?/gi, '').trim();
}

/** Every response the phone received has one Via, one the phone itself sent. */
function checkResponsesHaveOwnVia(t: Test, phone: SipJsPhone): void {
  const ownVias = new Set(phone.sent().flatMap((m) => headerEntries(m, 'Via')).map(bareVia));
  const responses = phone.received().filter((m) => isResponse(m));
  t.ok(responses.length > 0, 'SIP.js received responses');
  for (const res of responses) {
    const vias = headerEntries(res, 'Via');
    const what = `${startLine(res)} (${cseqMethod(res)})`;
    t.equal(vias.length, 1, `${what} carries exactly one Via`);
    t.ok(ownVias.has(bareVia(vias[0] ?? '')), `${what}: the Via is the one SIP.js sent`);
  }
}

/**
 * The node's Record-Route of a ws/wss <-> UDP call: two entries (RFC 5658 §3.1), the one facing the
 * callee on top. Both are loose routes; the WebSocket one names the transport.
 */
function checkDoubleRecordRoute(t: Test, message: string | undefined, node: TestNode, transport: 'ws' | 'wss', callee: 'udp' | 'ws'): void {
  const entries = headerEntries(message ?? '', 'Record-Route');
  t.equal(entries.length, 2, `two Record-Route entries where the transport changes: ${entries.join(' | ')}`);
  const wsPort = transport === 'ws' ? node.config.httpPort : node.config.httpsPort;
  const udpEntry = new RegExp(`^<sip:127\\.0\\.0\\.1:${node.config.sipPort};lr;`);
  const wsEntry = new RegExp(`^<sip:127\\.0\\.0\\.1:${wsPort};transport=${transport};lr;`);
  const [top, bottom] = callee === 'udp' ? [udpEntry, wsEntry] : [wsEntry, udpEntry];
  t.match(entries[0], top, 'the top entry faces the callee');
  t.match(entries[1], bottom, 'the bottom entry faces the caller');
}

const isByeOk = (m: string) => isResponse(m, 200) && cseqMethod(m) === 'BYE';

for (const transport of ['ws', 'wss'] as const) {
  for (const hangsUp of ['SIP.js', 'sipp'] as const) {
    t.test(`SIP.js on ${transport} calls a sipp phone on UDP; ${hangsUp} hangs up`, async (t) => {
      const node = await startTestNode(t, USERS);
      const sockets = installSipWebSocket(t);
      const bob = await registerSippDevice(t, node, {
        user: 'bob',
        password: USERS.bob,
        scenario: hangsUp === 'sipp' ? 'call-callee-hangs-up.xml' : 'call-callee.xml',
      });
      const alice = await startSipJsPhone(t, sockets, {
        server: wsServer(node, transport), name: 'alice', user: 'alice', password: USERS.alice, domain: TEST_DOMAIN, sdpPort: SIPJS_AUDIO,
      });

      const { inviter, final } = alice.call(`sip:bob@${TEST_DOMAIN}`);
      t.same(await within(final, 'the INVITE to be answered'), { status: 200, reason: 'OK' }, 'SIP.js gets 200 after its 407 round');
      await reaches(inviter, SessionState.Established, 'SIP.js to establish the call');
      await bob.waitReceived(/^ACK /, 'the ACK to reach the sipp phone');
      t.match(bob.received(/^INVITE /)[0]?.text, new RegExp(`m=audio ${SIPJS_AUDIO} `), "SIP.js's SDP offer reached sipp");
      t.match(sdpOf(inviter)?.remote.join('\n'), new RegExp(`m=audio ${SIPP_CALLEE_AUDIO} `), "sipp's SDP answer reached SIP.js");
      const ok = alice.received().find((m) => isResponse(m, 200) && cseqMethod(m) === 'INVITE');
      checkDoubleRecordRoute(t, ok, node, transport, 'udp');

      if (hangsUp === 'SIP.js') {
        t.equal(await hangUp(inviter, "SIP.js's BYE to be answered"), 200, "sipp answers SIP.js's BYE with 200");
        const bye = await bob.waitReceived(/^BYE /, "SIP.js's BYE to reach sipp");
        t.notMatch(bye.text, /^Route:/im, 'the node consumed its own Route entries');
        await bob.waitSent(/^SIP\/2\.0 200 /, 'sipp to answer the BYE');
      } else {
        await reaches(inviter, SessionState.Terminated, "SIP.js to end the call on sipp's BYE");
        t.ok(alice.received().some((m) => startLine(m).startsWith('BYE ')), "sipp's BYE reached SIP.js");
        t.ok(alice.sent().some(isByeOk), 'SIP.js answered it 200');
        await until(() => bob.received(/^SIP\/2\.0 200 /).some((m) => cseqMethod(m.text) === 'BYE'), 'the 200 for the BYE to reach sipp');
      }
      await reaches(inviter, SessionState.Terminated, 'the call to end');
      checkResponsesHaveOwnVia(t, alice);
      t.same(responsesFrom(alice.received(), 300), ['407 INVITE'], 'only the first INVITE was challenged; nothing else failed at SIP.js');
      t.same(responsesFrom(bob.received(/^SIP\/2\.0 /).map((m) => m.text), 300), ['401 REGISTER'], 'nothing failed at sipp but its first REGISTER');
    });
  }
}

for (const hangsUp of ['sipp', 'SIP.js'] as const) {
  t.test(`a sipp phone on UDP calls SIP.js on ws; ${hangsUp} hangs up`, async (t) => {
    const node = await startTestNode(t, USERS);
    const sockets = installSipWebSocket(t);
    const bob = await startSipJsPhone(t, sockets, {
      server: wsServer(node, 'ws'), name: 'bob', user: 'bob', password: USERS.bob, domain: TEST_DOMAIN, sdpPort: SIPJS_AUDIO,
    });
    await bob.register();

    const incoming = bob.nextInvitation();
    const caller = runSippCaller(t, node, {
      scenario: hangsUp === 'sipp' ? 'call-caller.xml' : 'call-caller-hung-up.xml',
      user: 'alice',
      password: USERS.alice,
      callee: 'bob',
      pauseMs: 300,
    });
    const invitation = await incoming;
    checkDoubleRecordRoute(t, invitation.request.toString(), node, 'ws', 'ws');
    t.match(invitation.body, new RegExp(`m=audio ${SIPP_CALLER_AUDIO} `), "sipp's SDP offer reached SIP.js");
    await within(invitation.accept(), 'SIP.js to answer');
    await until(() => bob.received().some((m) => startLine(m).startsWith('ACK ')), 'the ACK to reach SIP.js');
    t.equal(invitation.state, SessionState.Established, 'SIP.js has the call established');

    if (hangsUp === 'SIP.js') {
      t.equal(await hangUp(invitation, "SIP.js's BYE to be answered"), 200, "sipp answers SIP.js's BYE with 200");
    }
    const result = await caller;
    if (result.code !== 0) t.comment(result.output.slice(-3000));
    t.equal(result.code, 0, `sipp's call completes (${hangsUp === 'sipp' ? 'it sends BYE' : 'it receives BYE'})`);
    t.match(result.received(/^SIP\/2\.0 200 /).find((m) => cseqMethod(m.text) === 'INVITE')?.text, new RegExp(`m=audio ${SIPJS_AUDIO} `), "SIP.js's SDP answer reached sipp");
    await reaches(invitation, SessionState.Terminated, 'the call to end at SIP.js');
    if (hangsUp === 'sipp') {
      t.ok(bob.received().some((m) => startLine(m).startsWith('BYE ')), "sipp's BYE reached SIP.js");
      t.ok(bob.sent().some(isByeOk), 'SIP.js answered it 200');
    } else {
      t.equal(result.received(/^BYE /).length, 1, "SIP.js's BYE reached sipp");
    }
    checkResponsesHaveOwnVia(t, bob);
    t.same(responsesFrom(bob.received(), 300), ['401 REGISTER'], 'nothing failed at SIP.js but its first REGISTER');
    t.same(responsesFrom(result.received(/^SIP\/2\.0 /).map((m) => m.text), 300), ['407 INVITE'], 'only the first INVITE was challenged; nothing else failed at sipp');
  });
}
