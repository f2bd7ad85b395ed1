import t from 'tap';
import { createResponse, reasonPhrase, REASON_PHRASES, refusalResponse } from '../../src/sip/response.js';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { Headers } from '../../src/sip/headers.js';
import type { SipRequest } from '../../src/sip/message.js';
import { parseNameAddr } from '../../src/sip/name-addr.js';

function invite(): SipRequest {
  const m = parseMessage(Buffer.from(
    [
      'INVITE sip:bo@node6.mesh SIP/2.0',
      'v: SIP/2.0/UDP 10.6.0.1;branch=z9hG4bKa;received=192.0.2.1, SIP/2.0/TCP 10.6.0.2;branch=z9hG4bKb',
      'Via: SIP/2.0/WSS x.invalid;branch=z9hG4bKc',
      'Max-Forwards: 69',
      'To: sip:bo@node6.mesh',
      'From: "Alba" <sip:alba@node6.mesh>;tag=fa',
      'Call-ID: resp@10.6.0.3',
      'CSeq: 4 INVITE',
      'Timestamp: 54',
      'Contact: <sip:alba@10.6.0.3>',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  ));
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}

t.test('copies Via in order, From, To, Call-ID, CSeq (RFC 3261 §8.2.6.2)', async (t) => {
  const r = createResponse(invite(), 180, undefined, 'tt1');
  t.same([r.kind, r.status, r.reason], ['response', 180, 'Ringing']);
  t.same(r.headers.entries().map((f) => f.name), ['v', 'Via', 'To', 'From', 'Call-ID', 'CSeq']);
  t.same(r.headers.getAll('via'), ['SIP/2.0/UDP 10.6.0.1;branch=z9hG4bKa;received=192.0.2.1', 'SIP/2.0/TCP 10.6.0.2;branch=z9hG4bKb', 'SIP/2.0/WSS x.invalid;branch=z9hG4bKc']);
  t.equal(r.headers.get('to'), 'sip:bo@node6.mesh;tag=tt1', 'the tag is added to the value as received');
  t.equal(parseNameAddr(r.headers.get('to')!).params.get('tag'), 'tt1');
  t.equal(r.headers.get('from'), '"Alba" <sip:alba@node6.mesh>;tag=fa');
  t.equal(r.body.length, 0);
  const again = parseMessage(serializeMessage(r));
  t.equal(again.kind === 'response' && again.status, 180, 'the response is itself valid');
});

t.test('To tags: none on 100, a fresh one by default, an existing one kept', async (t) => {
  const trying = createResponse(invite(), 100);
  t.equal(trying.headers.get('to'), 'sip:bo@node6.mesh');
  t.equal(trying.headers.get('timestamp'), '54', 'Timestamp copied into 100 (§8.2.6.1)');
  const busy = createResponse(invite(), 486);
  t.equal(busy.headers.get('timestamp'), undefined);
  t.match(busy.headers.get('to'), /^sip:bo@node6\.mesh;tag=[0-9a-f]{16}$/);
  const req = invite();
  req.headers.set('To', '<sip:bo@node6.mesh>;TAG=dialog');
  t.equal(createResponse(req, 200, 'Fine', 'other').headers.get('to'), '<sip:bo@node6.mesh>;TAG=dialog');
  t.equal(createResponse(req, 200, 'Fine').reason, 'Fine');
});

t.test('works on a partial request with missing or broken fields', async (t) => {
  const req: SipRequest = {
    kind: 'request',
    method: 'OPTIONS',
    uri: 'sip:x',
    headers: new Headers([{ name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK1' }, { name: 'To', value: '"broken <sip:x>' }]),
    body: Buffer.alloc(0),
  };
  const r = createResponse(req, 400, 'Bad From header');
  t.same(r.headers.entries(), [{ name: 'Via', value: 'SIP/2.0/UDP h;branch=z9hG4bK1' }, { name: 'To', value: '"broken <sip:x>' }]);
});

t.test('reason phrases', async (t) => {
  const codes = [100, 180, 183, 200, 202, 400, 401, 403, 404, 405, 407, 408, 413, 415, 420, 423, 480, 481, 482, 483, 484, 486, 487, 488, 489, 491, 500, 501, 503, 504, 505, 513, 603];
  for (const code of codes) t.ok(REASON_PHRASES[code], `${code} has a phrase`);
  t.equal(reasonPhrase(481), 'Call/Transaction Does Not Exist');
  t.equal(reasonPhrase(499), 'Client Error', 'unknown codes take their class phrase');
  t.throws(() => createResponse(invite(), 99), RangeError);
  t.throws(() => createResponse(invite(), 700), RangeError);
});

t.test('refusalResponse: a named refusal with its extra fields', async (t) => {
  const req = parseMessage(Buffer.from(['OPTIONS sip:node1.mesh SIP/2.0', 'Via: SIP/2.0/UDP 198.18.0.2;branch=z9hG4bKr1', 'From: <sip:a@node1.mesh>;tag=1', 'To: <sip:node1.mesh>', 'Call-ID: r1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', ''].join('\r\n'))) as SipRequest;
  const res = refusalResponse(req, { status: 503, reason: 'Too many failed attempts' }, { 'Retry-After': '30' });
  t.equal(res.status, 503);
  t.equal(res.reason, 'Too many failed attempts');
  t.equal(res.headers.get('retry-after'), '30');
  t.equal(res.headers.get('call-id'), 'r1', 'the rest as createResponse makes it');
});
