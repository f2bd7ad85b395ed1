import t from 'tap';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import { createResponse } from '../../../src/sip/response.js';
import { buildNon2xxAck } from '../../../src/sip/transactions/non-2xx-ack.js';
import { sipRequest } from '../../helpers/sip-request.js';

const TOP_VIA = 'SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bKtopbranch';
const SECOND_VIA = 'SIP/2.0/UDP 192.168.1.20:5062;branch=z9hG4bKfirsthop;received=192.168.1.20';

/** Without Max-Forwards unless `maxForwards` is given, to see the ACK's default. */
function invite(extra: string[] = [], vias = [TOP_VIA, SECOND_VIA], maxForwards: number | null = null): SipRequest {
  return sipRequest({
    method: 'INVITE', ruri: 'sip:bob@node2.mesh;transport=udp', vias, from: '"Alice" <sip:alice@node1.mesh>;tag=a73kszlfl', to: '<sip:bob@node2.mesh>', cseq: 314, maxForwards,
    extra: ['Contact: <sip:alice@192.168.1.20:5062>', 'Content-Type: application/sdp', ...extra], body: 'v=0\r\n',
  });
}

function busy(req: SipRequest): SipResponse {
  return createResponse(req, 486, undefined, 'callee7');
}

t.test('the ACK follows §17.1.1.3', async (t) => {
  const req = invite(['Route: <sip:node1.mesh;lr>, <sip:node3.mesh;lr>', 'Route: <sip:node4.mesh;lr>'], undefined, 69);
  const res = busy(req);
  const ack = buildNon2xxAck(req, res);
  t.equal(ack.kind, 'request');
  t.equal(ack.method, 'ACK');
  t.equal(ack.uri, 'sip:bob@node2.mesh;transport=udp', 'the Request-URI of the INVITE');
  t.same(ack.headers.getAll('via'), [TOP_VIA], 'a single Via: the top Via of the INVITE, same branch');
  t.equal(ack.headers.get('to'), '<sip:bob@node2.mesh>;tag=callee7', 'To of the response, with its tag');
  t.equal(ack.headers.get('from'), req.headers.get('from'));
  t.equal(ack.headers.get('call-id'), '1j9FpLxk3uxtm8tn@192.168.1.20');
  t.equal(ack.headers.get('cseq'), '314 ACK', 'the INVITE\'s number, method ACK');
  t.same(ack.headers.getAll('route'), ['<sip:node1.mesh;lr>', '<sip:node3.mesh;lr>', '<sip:node4.mesh;lr>'], 'every Route, in order');
  t.equal(ack.headers.get('max-forwards'), '69');
  t.equal(ack.body.length, 0, 'no body');
  t.notOk(ack.headers.has('contact'));
  t.notOk(ack.headers.has('content-type'));
});

t.test('a Via line with several values gives only the first', async (t) => {
  const req = invite([], [`${TOP_VIA}, ${SECOND_VIA}`]);
  t.same(buildNon2xxAck(req, busy(req)).headers.getAll('via'), [TOP_VIA]);
});

t.test('no Route in the INVITE, none in the ACK; Max-Forwards defaults to 70', async (t) => {
  const req = invite();
  const ack = buildNon2xxAck(req, busy(req));
  t.notOk(ack.headers.has('route'));
  t.equal(ack.headers.get('max-forwards'), '70');
});

t.test('the INVITE is left unchanged', async (t) => {
  const req = invite(['Route: <sip:node1.mesh;lr>']);
  const before = req.headers.entries().map((f) => `${f.name}: ${f.value}`);
  buildNon2xxAck(req, busy(req));
  t.same(req.headers.entries().map((f) => `${f.name}: ${f.value}`), before);
  t.equal(req.method, 'INVITE');
});

t.test('a response without To falls back to the INVITE\'s To', async (t) => {
  const req = invite();
  const res = busy(req);
  res.headers.delete('to');
  t.equal(buildNon2xxAck(req, res).headers.get('to'), '<sip:bob@node2.mesh>');
});

t.test('an INVITE missing a header the ACK needs throws RangeError', async (t) => {
  for (const name of ['via', 'from', 'call-id', 'cseq']) {
    const req = invite();
    const res = busy(req);
    req.headers.delete(name);
    t.throws(() => buildNon2xxAck(req, res), RangeError, name);
  }
  const req = invite();
  const res = busy(req);
  req.headers.delete('to');
  res.headers.delete('to');
  t.throws(() => buildNon2xxAck(req, res), RangeError, 'no To anywhere');
});
