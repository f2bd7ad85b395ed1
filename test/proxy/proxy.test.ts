import t, { type Test } from 'tap';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { ackFor, answer, challengesOf, DOMAIN, harness, last, REALM, request, requests, statuses, wire, type RequestOptions } from './proxy-fixture.js';

const NODE_VIA = /^SIP\/2\.0\/(UDP|WSS) 198\.18\.0\.1:(5060|8443);branch=z9hG4bKtc[0-9a-f]{10}\.[0-9a-f]+;rport$/;

/** Alice's phone on UDP; bob with a desk phone on UDP and a browser on wss. */
function setup(o: Parameters<typeof harness>[0] = {}) {
  const h = harness(o);
  const desk = h.flows.add({ remoteAddress: '198.18.0.3', remotePort: 5060 });
  const browser = h.flows.add({ transport: 'wss', remoteAddress: '198.18.0.4', remotePort: 50000, localPort: 8443, id: 'wss#7' });
  h.register('bob', desk, 'sip:bob@198.18.0.3:5060', 'desk phone');
  h.register('bob', browser, 'sip:k3j4h5@x7.invalid;transport=ws', 'SIP.js');
  /** The INVITE a device received, as it read it off the wire. */
  const inviteAt = (flow: typeof desk): SipRequest => wire(requests(flow.sent, 'INVITE')[0]!);
  /** The final responses alice got past the challenge (status and CSeq). */
  const finals = () => (h.alice.sent.filter((m) => m.kind === 'response' && m.status >= 200 && m.status !== 407) as SipResponse[]).map((r) => `${r.status} ${r.headers.get('cseq')}`);
  return { ...h, desk, browser, inviteAt, finals };
}

/** A refusal answers the sender and nothing leaves the node anywhere else. */
function refuses(t: Test, s: ReturnType<typeof setup>, o: RequestOptions & { user?: string }, status: number, authenticated = true) {
  const before = s.alice.sent.length;
  if (authenticated) s.sendAuthenticated(o);
  else s.deliver(request(o), s.alice);
  const res = last(s.alice.sent) as SipResponse;
  t.equal(res.kind, 'response');
  t.equal(res.status, status, `${o.method ?? 'INVITE'} ${o.ruri ?? ''}: ${res.status} ${res.reason}`);
  t.notOk(statuses(s.alice.sent.slice(before)).includes(100), 'no 100 Trying for a refused request');
  t.same(s.flows.sentExcept(s.alice), [], 'nothing sent downstream');
  t.same(s.flows.opened, [], 'no flow opened');
  return res;
}

t.test('407 comes first, with MD5 as the first Proxy-Authenticate', async (t) => {
  const s = setup();
  s.deliver(request(), s.alice);
  const res = last(s.alice.sent) as SipResponse;
  t.equal(res.status, 407);
  t.same(challengesOf(res).map((c) => c.algorithm), ['MD5', 'SHA-256', 'MD5']);
  t.ok(challengesOf(res).every((c) => c.realm === REALM && c.qop === 'auth'));
  t.same(s.flows.sentExcept(s.alice), []);
  t.equal(s.calls.length, 0);
});

t.test('a wrong password is challenged again and forwards nothing', async (t) => {
  const s = setup();
  s.sendAuthenticated({ password: 'not-it' });
  t.same(statuses(s.alice.sent), [407, 407]);
  t.same(s.flows.sentExcept(s.alice), []);
});

t.test('an INVITE is forked to every device: one new Via on top, Max-Forwards less one, Record-Route, credentials consumed', async (t) => {
  const s = setup();
  const invite = s.sendAuthenticated({ maxForwards: '20', body: 'v=0\r\n', extra: ['Content-Type: application/sdp'] });
  t.same(statuses(s.alice.sent), [407, 100], 'the 100 Trying of a stateful proxy (§16.2)');
  const clientVia = invite.headers.getAll('via')[0]!;
  const desk = s.inviteAt(s.desk);
  const browser = s.inviteAt(s.browser);
  t.equal(desk.uri, 'sip:bob@198.18.0.3:5060');
  t.equal(browser.uri, 'sip:k3j4h5@x7.invalid;transport=ws');
  for (const [name, fwd, transport] of [['desk', desk, 'UDP'], ['browser', browser, 'WSS']] as const) {
    const vias = fwd.headers.getAll('via');
    t.equal(vias.length, 2, `${name}: exactly one Via added`);
    t.match(vias[0], NODE_VIA, `${name}: the node's Via on top`);
    t.ok(vias[0]!.startsWith(`SIP/2.0/${transport} `), `${name}: sent-by names the flow's transport`);
    t.equal(vias[1], clientVia, `${name}: the client's Via untouched`);
    t.equal(fwd.headers.get('max-forwards'), '19');
    t.notOk(fwd.headers.has('proxy-authorization'), `${name}: the node's credentials are consumed`);
    t.equal(fwd.body.toString(), 'v=0\r\n');
    t.equal(fwd.headers.get('call-id'), invite.headers.get('call-id'));
    t.equal(fwd.headers.get('from'), invite.headers.get('from'));
  }
  t.not(desk.headers.getAll('via')[0], browser.headers.getAll('via')[0], 'each branch has its own branch id');
  const deskRR = desk.headers.getAll('record-route');
  t.equal(deskRR.length, 1, 'UDP to UDP: one Record-Route');
  t.match(deskRR[0], /^<sip:198\.18\.0\.1:5060;lr;ftag=alicetag1;up=[\w-]+\.[\w-]+;dn=[\w-]+\.[\w-]+>$/);
  const browserRR = browser.headers.getAll('record-route');
  t.equal(browserRR.length, 2, 'UDP to wss: two Record-Route entries (RFC 5658)');
  t.match(browserRR[0], /^<sip:198\.18\.0\.1:8443;transport=wss;lr;ftag=alicetag1;/, 'the one facing the callee on top');
  t.match(browserRR[1], /^<sip:198\.18\.0\.1:5060;lr;ftag=alicetag1;/);
});

t.test('Max-Forwards: 1 is forwarded as 0; 0 gets 483, before any challenge', async (t) => {
  const s = setup();
  s.sendAuthenticated({ maxForwards: '1' });
  t.equal(s.inviteAt(s.desk).headers.get('max-forwards'), '0');
  const res = refuses(t, setup(), { maxForwards: '0' }, 483, false);
  t.notOk(res.headers.has('proxy-authenticate'));
});

t.test('a bad Max-Forwards that got past the parser gets 400', async (t) => {
  // The parser already refuses these (§20.22); the proxy does not rely on it.
  for (const value of ['abc', '-1', '1.5', '']) {
    const s = setup();
    const req = request();
    req.headers.set('Max-Forwards', value);
    s.serverTransactions.receive(req, s.alice);
    s.proxy.handle(req, s.alice);
    const res = last(s.alice.sent) as SipResponse;
    t.equal(res.status, 400, `Max-Forwards ${JSON.stringify(value)}`);
    t.equal(res.reason, 'Bad Max-Forwards header');
    t.same(s.flows.sentExcept(s.alice), []);
  }
});

t.test('a request without Max-Forwards gets 70 (§16.6 step 3)', async (t) => {
  const s = setup();
  s.sendAuthenticated({ maxForwards: null });
  t.equal(s.inviteAt(s.desk).headers.get('max-forwards'), '70');
});

t.test('482 on a real loop, not on a spiral (Request-URI changed)', async (t) => {
  const s = setup();
  s.register('carol', s.desk, 'sip:carol@198.18.0.1:5060');
  s.sendAuthenticated();
  const forwarded = s.inviteAt(s.desk);
  // The same request comes back with its original Request-URI, through a proxy at the desk's
  // address: it has been here in this very state.
  const loop = wire(forwarded);
  loop.uri = `sip:bob@${DOMAIN}`;
  loop.headers.prepend('Via', 'SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bKelsewhere1');
  const sentBefore = s.flows.sentExcept(s.desk).length;
  s.deliver(loop, s.desk);
  t.equal((last(s.desk.sent) as SipResponse).status, 482);
  t.equal(s.flows.sentExcept(s.desk).length, sentBefore, 'nothing forwarded');
  // A spiral: the request comes back for another target (carol's contact is the node itself).
  const spiral = wire(forwarded);
  spiral.uri = `sip:carol@${DOMAIN}`;
  spiral.headers.prepend('Via', 'SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bKelsewhere2');
  s.deliver(spiral, s.desk);
  t.equal((last(s.desk.sent) as SipResponse).status, 407, 'a spiral passes loop detection and is authenticated as new');
});

t.test('Proxy-Require with an unknown option gets 420 listing it', async (t) => {
  const s = setup();
  const res = refuses(t, s, { extra: ['Proxy-Require: foo, bar'] }, 420, false);
  t.equal(res.headers.get('unsupported'), 'foo, bar');
});

t.test('a foreign domain gets 403 before any challenge: no open relay', async (t) => {
  const s = setup();
  const res = refuses(t, s, { ruri: 'sip:bob@example.com' }, 403, false);
  t.notOk(res.headers.has('proxy-authenticate'));
  refuses(t, s, { ruri: 'sip:bob@198.51.100.9' }, 403, false);
});

t.test('a pre-loaded Route leading elsewhere gets 403 (also a relay)', async (t) => {
  const s = setup();
  const res = refuses(t, s, { routes: ['<sip:198.51.100.9;lr>'] }, 403, false);
  t.notOk(res.headers.has('proxy-authenticate'), 'refused before any challenge');
});

t.test('a pre-loaded Route naming the node itself is taken off and the request routed', async (t) => {
  const s = setup();
  s.sendAuthenticated({ routes: [`<sip:${DOMAIN};lr>`] });
  const desk = s.inviteAt(s.desk);
  t.same(desk.headers.getAll('route'), []);
  t.equal(desk.uri, 'sip:bob@198.18.0.3:5060');
});

t.test('From naming someone else than the authenticated user: 403', async (t) => {
  const s = setup();
  refuses(t, s, { from: `sip:carol@${DOMAIN}`, user: 'alice' }, 403, true);
  t.equal((last(s.alice.sent) as SipResponse).reason, 'Authenticated user does not match From');
});

t.test('unknown user 404, user without a device 480, tel URI 416', async (t) => {
  const s = setup();
  refuses(t, s, { ruri: `sip:nobody@${DOMAIN}`, to: `sip:nobody@${DOMAIN}` }, 404, true);
  refuses(t, s, { ruri: `sip:carol@${DOMAIN}`, to: `sip:carol@${DOMAIN}`, callId: 'offline-1' }, 480, true);
  t.equal(s.calls.length, 1, 'the unanswered call to carol is reported');
  t.same(s.calls[0], { caller: 'alice', callee: 'carol', callId: 'offline-1', outcome: { status: 480, devices: [], startedAt: s.clock.now(), cancelled: false, timedOut: false } });
  refuses(t, s, { ruri: 'tel:+15551234' }, 416, false);
});

t.test('mid-dialog methods outside a dialog and in-dialog requests without the node\'s Route get 481', async (t) => {
  const s = setup();
  refuses(t, s, { method: 'BYE' }, 481, false);
  refuses(t, s, { method: 'BYE', toTag: 'x1' }, 481, false);
  refuses(t, s, { method: 'INFO', toTag: 'x1', routes: ['<sip:198.51.100.9;lr>'] }, 481, false);
  refuses(t, s, { method: 'PUBLISH' }, 501, false);
  const before = s.alice.sent.length;
  s.deliver(request({ method: 'ACK', toTag: 'x1' }), s.alice);
  s.deliver(request({ method: 'ACK' }), s.alice);
  t.equal(s.alice.sent.length, before, 'an ACK is never answered');
  t.same(s.flows.sentExcept(s.alice), []);
});

t.test('no open relay through a forged dialog: a To tag and a Route naming the node get 481', async (t) => {
  const s = setup();
  const stranger = s.flows.add({ remoteAddress: '203.0.113.66', remotePort: 5060 });
  const cases: Array<[string, RequestOptions]> = [
    ['Route to the node, Request-URI elsewhere', { ruri: 'sip:victim@203.0.113.5', toTag: 'forged', routes: ['<sip:198.18.0.1;lr>'] }],
    ['Route to the node, then elsewhere', { method: 'MESSAGE', toTag: 'forged', routes: [`<sip:${DOMAIN};lr>`, '<sip:203.0.113.7:5060;lr>'], body: 'spam' }],
    ['Route with forged tokens', { ruri: 'sip:victim@203.0.113.5', toTag: 'forged', routes: ['<sip:198.18.0.1;lr;ftag=alicetag1;up=AAAA.BBBB;dn=CCCC.DDDD>'] }],
  ];
  for (const [name, o] of cases) {
    s.deliver(request(o), stranger);
    t.equal((last(stranger.sent) as SipResponse).status, 481, name);
    s.deliver(request({ ...o, method: 'ACK', body: '' }), stranger);
  }
  t.same(statuses(stranger.sent), [481, 481, 481], 'the ACKs are not answered');
  t.same(s.flows.sentExcept(stranger), [], 'nothing relayed');
  t.same(s.flows.opened, [], 'no flow opened');
});

t.test('a MESSAGE over message_max_body gets 413 after authentication', async (t) => {
  const s = setup({ messageMaxBody: 10 });
  refuses(t, s, { method: 'MESSAGE', body: 'more than ten bytes', extra: ['Content-Type: text/plain'] }, 413, true);
  t.match(s.logs.filter((l) => l.startsWith('warn')), [/^warn: MESSAGE of 19 bytes from \S+ \S+ refused with 413: over message_max_body \(10\)$/], 'the limit that bit is logged');
});

t.test('a downstream 100 is not relayed, a 180 is, with the node\'s Via taken off and the client\'s untouched', async (t) => {
  const s = setup();
  const invite = s.sendAuthenticated();
  s.deliver(answer(s.inviteAt(s.desk), 100), s.desk);
  t.same(statuses(s.alice.sent), [407, 100], 'only the node\'s own 100');
  s.deliver(answer(s.inviteAt(s.desk), 180, { toTag: 'desk1' }), s.desk);
  const ringing = last(s.alice.sent) as SipResponse;
  t.equal(ringing.status, 180);
  t.same(ringing.headers.getAll('via'), invite.headers.getAll('via'), 'exactly the client\'s Via');
  t.equal(ringing.headers.getAll('record-route').length, 1);
});

t.test('the first 2xx is relayed and the other devices get CANCEL with Reason, each after its provisional', async (t) => {
  const s = setup();
  s.sendAuthenticated({ callId: 'call-fork' });
  const started = s.clock.now();
  const desk = s.inviteAt(s.desk);
  const browser = s.inviteAt(s.browser);
  s.deliver(answer(desk, 180, { toTag: 'desk1' }), s.desk);
  s.clock.advance(4000);
  s.deliver(answer(browser, 200, { toTag: 'browser1' }), s.browser);
  const ok = last(s.alice.sent) as SipResponse;
  t.equal(ok.status, 200);
  t.equal(ok.headers.getAll('via').length, 1);
  t.equal(ok.headers.getAll('record-route').length, 2);
  const [cancel] = requests(s.desk.sent, 'CANCEL');
  t.ok(cancel, 'the ringing desk phone is cancelled');
  t.equal(cancel!.headers.get('reason'), 'SIP;cause=200;text="Call completed elsewhere"');
  t.equal(cancel!.uri, desk.uri);
  t.same(cancel!.headers.getAll('via'), [desk.headers.getAll('via')[0]], 'one Via, the INVITE\'s top one (§9.1)');
  t.equal(cancel!.headers.get('cseq'), '2 CANCEL');
  t.same(requests(s.browser.sent, 'CANCEL'), [], 'the device that answered is not cancelled');
  s.deliver(answer(cancel!, 200), s.desk);
  s.deliver(answer(desk, 487, { toTag: 'desk1' }), s.desk);
  t.equal(requests(s.desk.sent, 'ACK').length, 1, 'the 487 is acknowledged hop by hop');
  t.same(s.finals(), ['200 2 INVITE'], 'the 487 stays at the node');
  t.equal(s.calls.length, 1);
  t.same(s.calls[0], {
    caller: 'alice',
    callee: 'bob',
    callId: 'call-fork',
    outcome: {
      status: 200,
      devices: s.calls[0]!.outcome.devices,
      startedAt: started,
      answeredAt: started + 4000,
      answeredBy: 'sip:k3j4h5@x7.invalid;transport=ws (SIP.js)',
      cancelled: false,
      timedOut: false,
    },
  });
  t.same([...s.calls[0]!.outcome.devices].sort(), ['sip:bob@198.18.0.3:5060 (desk phone)', 'sip:k3j4h5@x7.invalid;transport=ws (SIP.js)']);
});

t.test('a device that has not sent a provisional is cancelled only once it does (§9.1); a later 2xx is relayed too', async (t) => {
  const s = setup();
  s.sendAuthenticated();
  const desk = s.inviteAt(s.desk);
  s.deliver(answer(s.inviteAt(s.browser), 200, { toTag: 'browser1' }), s.browser);
  t.same(requests(s.desk.sent, 'CANCEL'), [], 'no CANCEL before a provisional');
  s.deliver(answer(desk, 183, { toTag: 'desk1' }), s.desk);
  t.equal(requests(s.desk.sent, 'CANCEL').length, 1, 'the CANCEL goes once the 183 arrived');
  t.same(s.finals(), ['200 2 INVITE'], 'the 183 after the answer is not relayed');
  // The desk phone answered before the CANCEL reached it: its 2xx goes up too (§16.7 step 5).
  s.deliver(answer(desk, 200, { toTag: 'desk1' }), s.desk);
  t.same(s.finals(), ['200 2 INVITE', '200 2 INVITE']);
  const [first, second] = s.alice.sent.filter((m) => m.kind === 'response' && m.status === 200) as SipResponse[];
  t.match(first!.headers.get('to'), /tag=browser1/);
  t.match(second!.headers.get('to'), /tag=desk1/);
  t.equal(s.calls.length, 1, 'one call reported');
});

t.test('caller CANCEL: 200 for the CANCEL, CANCEL to the devices with the caller\'s Reason, 487 to the caller', async (t) => {
  const s = setup();
  const invite = s.sendAuthenticated({ callId: 'call-cancel' });
  const desk = s.inviteAt(s.desk);
  s.deliver(answer(desk, 180, { toTag: 'desk1' }), s.desk);
  const cancel = wire(invite);
  cancel.method = 'CANCEL';
  cancel.headers.set('CSeq', '2 CANCEL');
  cancel.headers.delete('proxy-authorization');
  cancel.headers.delete('content-type');
  cancel.headers.append('Reason', 'SIP;cause=487;text="hung up"');
  s.clock.advance(2000);
  s.deliver(cancel, s.alice);
  t.same(s.finals(), ['200 2 CANCEL'], 'the CANCEL is answered at once (§16.10)');
  const [deskCancel] = requests(s.desk.sent, 'CANCEL');
  t.equal(deskCancel?.headers.get('reason'), 'SIP;cause=487;text="hung up"');
  t.same(requests(s.browser.sent, 'CANCEL'), [], 'the browser has not sent a provisional yet');
  s.deliver(answer(desk, 487, { toTag: 'desk1' }), s.desk);
  t.same(s.finals(), ['200 2 CANCEL'], 'the caller waits for every device');
  s.deliver(answer(s.inviteAt(s.browser), 180, { toTag: 'browser1' }), s.browser);
  t.equal(requests(s.browser.sent, 'CANCEL').length, 1);
  s.deliver(answer(s.inviteAt(s.browser), 487, { toTag: 'browser1' }), s.browser);
  t.same(s.finals(), ['200 2 CANCEL', '487 2 INVITE']);
  const before = s.alice.sent.length;
  s.deliver(ackFor(invite, last(s.alice.sent) as SipResponse), s.alice);
  t.equal(s.alice.sent.length, before, 'the ACK for the 487 is absorbed');
  t.equal(requests(s.desk.sent, 'ACK').length + requests(s.browser.sent, 'ACK').length, 2, 'only the hop-by-hop ACKs of the branches');
  t.equal(s.calls.length, 1);
  t.match(s.calls[0], { callId: 'call-cancel', outcome: { status: 487, cancelled: true, timedOut: false } });
  t.equal(s.calls[0]!.outcome.answeredAt, undefined);
});

t.test('a CANCEL matching no INVITE gets 481', async (t) => {
  const s = setup();
  refuses(t, s, { method: 'CANCEL' }, 481, false);
});

t.test('a CANCEL after the final response gets 200 and changes nothing (§9.2, §16.10)', async (t) => {
  for (const status of [486, 200]) {
    const s = setup();
    const invite = s.sendAuthenticated({ callId: `late-cancel-${status}` });
    for (const [flow, tag] of [[s.desk, 'desk1'], [s.browser, 'browser1']] as const) {
      s.deliver(answer(s.inviteAt(flow), 180, { toTag: tag }), flow);
    }
    s.deliver(answer(s.inviteAt(s.desk), status, { toTag: 'desk1' }), s.desk);
    if (status !== 200) s.deliver(answer(s.inviteAt(s.browser), status, { toTag: 'browser1' }), s.browser);
    t.same(s.finals(), [`${status} 2 INVITE`], `${status}: the caller has its final response`);
    const sentBefore = s.flows.sentExcept(s.alice).length;
    const cancel = wire(invite);
    cancel.method = 'CANCEL';
    cancel.headers.set('CSeq', '2 CANCEL');
    cancel.headers.delete('proxy-authorization');
    s.deliver(cancel, s.alice);
    t.same(s.finals(), [`${status} 2 INVITE`, '200 2 CANCEL'], `${status}: the late CANCEL gets 200, not 481`);
    t.equal(s.flows.sentExcept(s.alice).length, sentBefore, `${status}: nothing more goes to the devices`);
  }
});

t.test('ring timeout: CANCEL to the devices, then 480', async (t) => {
  const s = setup({ ringTimeoutMs: 30_000 });
  s.sendAuthenticated();
  s.deliver(answer(s.inviteAt(s.desk), 180, { toTag: 'desk1' }), s.desk);
  s.deliver(answer(s.inviteAt(s.browser), 180, { toTag: 'browser1' }), s.browser);
  s.clock.advance(29_999);
  t.same(requests(s.desk.sent, 'CANCEL'), []);
  s.clock.advance(1);
  for (const flow of [s.desk, s.browser]) {
    const [cancel] = requests(flow.sent, 'CANCEL');
    t.ok(cancel);
    t.notOk(cancel?.headers.has('reason'), 'no Reason: nobody answered elsewhere');
    s.deliver(answer(s.inviteAt(flow), 487, { toTag: 'x' }), flow);
  }
  t.same(s.finals(), ['480 2 INVITE']);
  t.match(s.calls[0], { outcome: { status: 480, timedOut: true, cancelled: false } });
});

t.test('Timer B: a device that never answers counts as 408', async (t) => {
  const s = setup();
  s.location.removeUser('bob');
  s.register('bob', s.desk, 'sip:bob@198.18.0.3:5060');
  s.sendAuthenticated();
  s.clock.advance(32_000);
  t.ok(requests(s.desk.sent, 'INVITE').length > 1, 'the INVITE was retransmitted over UDP (Timer A)');
  t.same(s.finals(), ['408 2 INVITE']);
  t.match(s.calls[0], { outcome: { status: 408, cancelled: false, timedOut: false } });
});

t.test('a transport error counts as 503; when no device could be reached the caller gets 480', async (t) => {
  const s = setup();
  s.desk.failSends = true;
  s.browser.close();
  s.location.removeUser('bob');
  s.register('bob', s.desk, 'sip:bob@198.18.0.3:5060');
  s.sendAuthenticated();
  t.same(s.finals(), ['480 2 INVITE']);
});

t.test('busy beats unavailable: 486 goes up rather than 480', async (t) => {
  const s = setup();
  s.sendAuthenticated();
  s.deliver(answer(s.inviteAt(s.browser), 480, { toTag: 'b' }), s.browser);
  t.same(s.finals(), []);
  s.deliver(answer(s.inviteAt(s.desk), 486, { toTag: 'd' }), s.desk);
  t.same(s.finals(), ['486 2 INVITE']);
  t.match(s.calls[0], { outcome: { status: 486 } });
});

t.test('a MESSAGE is forked without 100 or Record-Route, and gets one final response', async (t) => {
  const s = setup();
  s.sendAuthenticated({ method: 'MESSAGE', body: 'hi', extra: ['Content-Type: text/plain'] });
  t.same(statuses(s.alice.sent), [407]);
  const desk = wire(requests(s.desk.sent, 'MESSAGE')[0]!);
  const browser = wire(requests(s.browser.sent, 'MESSAGE')[0]!);
  t.same(desk.headers.getAll('record-route'), []);
  t.equal(desk.body.toString(), 'hi');
  s.deliver(answer(desk, 200), s.desk);
  s.deliver(answer(browser, 200), s.browser);
  t.same(s.finals(), ['200 2 MESSAGE']);
  t.same(requests(s.browser.sent, 'CANCEL'), []);
  t.equal(s.calls.length, 0, 'only INVITEs are calls');
});

/** A call from alice (UDP) answered by bob's browser (wss): double Record-Route. */
function answered() {
  const s = setup();
  const invite = s.sendAuthenticated({ callId: 'call-dialog' });
  const atBrowser = s.inviteAt(s.browser);
  s.deliver(answer(atBrowser, 200, { toTag: 'browser1' }), s.browser);
  const ok = last(s.alice.sent) as SipResponse;
  const recordRoute = ok.headers.getAll('record-route');
  const fromAlice = (o: RequestOptions) =>
    request({ ruri: 'sip:k3j4h5@x7.invalid;transport=ws', toTag: 'browser1', callId: 'call-dialog', routes: [...recordRoute].reverse(), ...o });
  const fromBob = (o: RequestOptions) =>
    request({
      ruri: 'sip:alice@198.18.0.2:5062',
      from: `sip:bob@${DOMAIN}`,
      fromTag: 'browser1',
      to: `sip:alice@${DOMAIN}`,
      toTag: 'alicetag1',
      callId: 'call-dialog',
      sentBy: 'x7.invalid',
      routes: recordRoute,
      ...o,
    });
  return { ...s, invite, recordRoute, fromAlice, fromBob };
}

t.test('the ACK for a 2xx is forwarded statelessly on the callee\'s flow and never answered', async (t) => {
  const s = answered();
  const sentToAlice = s.alice.sent.length;
  const transactions = s.clientTransactions.size;
  s.deliver(s.fromAlice({ method: 'ACK', cseq: 2, maxForwards: '70' }), s.alice);
  const acks = requests(s.browser.sent, 'ACK');
  t.equal(acks.length, 1);
  const ack = wire(acks[0]!);
  t.equal(ack.uri, 'sip:k3j4h5@x7.invalid;transport=ws');
  t.same(ack.headers.getAll('route'), [], 'both of the node\'s Route entries are taken off');
  const vias = ack.headers.getAll('via');
  t.equal(vias.length, 2);
  t.match(vias[0], /^SIP\/2\.0\/WSS 198\.18\.0\.1:8443;branch=z9hG4bKtc/);
  t.equal(ack.headers.get('max-forwards'), '69');
  t.equal(s.alice.sent.length, sentToAlice, 'nothing goes back to the caller');
  t.equal(s.clientTransactions.size, transactions, 'no client transaction for an ACK');
  s.clock.advance(40_000);
  t.equal(requests(s.browser.sent, 'ACK').length, 1, 'never retransmitted by the node');
  t.same(requests(s.desk.sent, 'ACK'), []);
});

t.test('in-dialog requests follow the flow token of their direction, unchallenged', async (t) => {
  const s = answered();
  s.deliver(s.fromAlice({ method: 'INFO', cseq: 3 }), s.alice);
  const [info] = requests(s.browser.sent, 'INFO');
  t.ok(info, 'caller to callee: the dn flow');
  t.same(wire(info!).headers.getAll('route'), []);
  t.match(wire(info!).headers.getAll('via')[0], /^SIP\/2\.0\/WSS /);
  s.deliver(answer(wire(info!), 200, { toTag: 'browser1' }), s.browser);
  t.equal((last(s.alice.sent) as SipResponse).status, 200);
  t.match((last(s.alice.sent) as SipResponse).headers.get('cseq'), /3 INFO/);

  const byeFromBob = s.fromBob({ method: 'BYE', cseq: 1 });
  s.deliver(byeFromBob, s.browser);
  const [bye] = requests(s.alice.sent, 'BYE');
  t.ok(bye, 'callee to caller: the up flow');
  const forwarded = wire(bye!);
  t.equal(forwarded.uri, 'sip:alice@198.18.0.2:5062');
  t.same(forwarded.headers.getAll('route'), []);
  t.equal(forwarded.headers.getAll('via').length, 2);
  t.match(forwarded.headers.getAll('via')[0], /^SIP\/2\.0\/UDP 198\.18\.0\.1:5060;branch=z9hG4bKtc/);
  t.same(s.byes, ['call-dialog'], 'the BYE ends the call for the history');
  s.deliver(answer(forwarded, 200, { toTag: 'alicetag1' }), s.alice);
  const byeOk = last(s.browser.sent) as SipResponse;
  t.equal(byeOk.status, 200);
  t.same(byeOk.headers.getAll('via'), byeFromBob.headers.getAll('via'), 'the callee gets its own Via back, alone');
  t.same(s.flows.opened, [], 'every hop was an existing flow');
});

t.test('a single Record-Route is popped and its tokens used both ways', async (t) => {
  const s = setup();
  s.location.removeUser('bob');
  s.register('bob', s.desk, 'sip:bob@198.18.0.3:5060');
  s.sendAuthenticated({ callId: 'call-udp' });
  s.deliver(answer(s.inviteAt(s.desk), 200, { toTag: 'desk1' }), s.desk);
  const rr = (last(s.alice.sent) as SipResponse).headers.getAll('record-route');
  t.equal(rr.length, 1);
  s.deliver(request({ method: 'BYE', ruri: 'sip:bob@198.18.0.3:5060', toTag: 'desk1', callId: 'call-udp', cseq: 3, routes: rr }), s.alice);
  t.equal(requests(s.desk.sent, 'BYE').length, 1);
  s.deliver(request({ method: 'BYE', ruri: 'sip:alice@198.18.0.2:5062', from: `sip:bob@${DOMAIN}`, fromTag: 'desk1', to: `sip:alice@${DOMAIN}`, toTag: 'alicetag1', callId: 'call-udp', sentBy: '198.18.0.3:5060', routes: rr }), s.desk);
  t.equal(requests(s.alice.sent, 'BYE').length, 1);
});

t.test('a Route beyond the node\'s own is the next hop of an in-dialog request', async (t) => {
  const s = answered();
  s.deliver(s.fromAlice({ method: 'INFO', cseq: 3, routes: [...[...s.recordRoute].reverse(), '<sip:198.18.0.9:5070;lr>'] }), s.alice);
  t.equal(s.flows.opened.length, 1);
  const next = s.flows.opened[0]!;
  t.equal(`${next.transport} ${next.remoteAddress}:${next.remotePort}`, 'udp 198.18.0.9:5070');
  const [info] = requests(next.sent, 'INFO');
  t.same(wire(info!).headers.getAll('route'), ['<sip:198.18.0.9:5070;lr>']);
  t.same(requests(s.browser.sent, 'INFO'), []);
});

t.test('the callee\'s WebSocket closed: 430 Flow Failed, nothing sent', async (t) => {
  const s = answered();
  s.browser.close();
  const sent = s.flows.sentExcept(s.alice).length;
  s.deliver(s.fromAlice({ method: 'BYE', cseq: 3 }), s.alice);
  t.equal((last(s.alice.sent) as SipResponse).status, 430);
  t.equal(s.flows.sentExcept(s.alice).length, sent);
  t.same(s.flows.opened, []);
});

t.test('in-dialog requests are checked for Max-Forwards and loops too', async (t) => {
  const s = answered();
  s.deliver(s.fromAlice({ method: 'BYE', cseq: 3, maxForwards: '0' }), s.alice);
  t.equal((last(s.alice.sent) as SipResponse).status, 483);
  t.same(requests(s.browser.sent, 'BYE'), []);
});

t.test('the callee\'s account is matched case-insensitively', async (t) => {
  const s = setup();
  s.sendAuthenticated({ ruri: `sip:BOB@${DOMAIN}` });
  t.equal(requests(s.desk.sent, 'INVITE').length, 1);
});
