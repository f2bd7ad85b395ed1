import t from 'tap';
import { decodeMappedAddress, decodeXorMappedAddress } from '../../src/stun/address.js';
import { answerStunBinding } from '../../src/stun/binding.js';
import { attribute, decodeStunMessage, encodeStunMessage } from '../../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING, type StunClass } from '../../src/stun/constants.js';
import { decodeErrorCode, decodeUnknownAttributes } from '../../src/stun/error-attributes.js';
import type { StunAttribute } from '../../src/stun/message.js';
import { SAMPLE_REQUEST, TRANSACTION_ID } from './rfc5769-vectors.js';

const remote4 = { address: '198.51.100.7', port: 40000 };
const remote6 = { address: '2001:db8::42', port: 50000 };
const software = Buffer.from('trucada test');

function request(attributes: StunAttribute[] = [], opts: { cls?: StunClass; method?: number; cookie?: number; fingerprint?: boolean } = {}): Buffer {
  return encodeStunMessage(
    { method: opts.method ?? METHOD_BINDING, cls: opts.cls ?? 'request', cookie: opts.cookie ?? MAGIC_COOKIE, transactionId: TRANSACTION_ID, attributes },
    { fingerprint: opts.fingerprint ?? false },
  );
}

t.test('a Binding request gets XOR-MAPPED-ADDRESS, SOFTWARE and FINGERPRINT, IPv4 and IPv6', async (t) => {
  for (const remote of [remote4, remote6]) {
    const answer = answerStunBinding(request(), remote, { software });
    t.ok(answer);
    const m = decodeStunMessage(answer!);
    t.equal(m.cls, 'success');
    t.equal(m.method, METHOD_BINDING);
    t.same(m.transactionId, TRANSACTION_ID, 'the transaction id echoed');
    t.same(decodeXorMappedAddress(attribute(m, ATTR.XOR_MAPPED_ADDRESS)!, m.transactionId), remote);
    t.equal(attribute(m, ATTR.SOFTWARE)?.toString(), 'trucada test');
    t.equal(m.attributes.at(-1)?.type, ATTR.FINGERPRINT, 'FINGERPRINT last (and checked by the decoder)');
    t.equal(attribute(m, ATTR.MAPPED_ADDRESS), undefined, 'no MAPPED-ADDRESS for a modern client');
  }
});

t.test('the RFC 5769 sample request (ICE attributes, MESSAGE-INTEGRITY) is answered', async (t) => {
  const m = decodeStunMessage(answerStunBinding(SAMPLE_REQUEST, remote4)!);
  t.equal(m.cls, 'success');
  t.same(decodeXorMappedAddress(attribute(m, ATTR.XOR_MAPPED_ADDRESS)!, m.transactionId), remote4);
});

t.test('an RFC 3489 client (no magic cookie) gets MAPPED-ADDRESS and its 128-bit id back', async (t) => {
  const m = decodeStunMessage(answerStunBinding(request([], { cookie: 0x01020304 }), remote4, { software })!);
  t.equal(m.cookie, 0x01020304);
  t.same(m.transactionId, TRANSACTION_ID);
  t.same(decodeMappedAddress(attribute(m, ATTR.MAPPED_ADDRESS)!), remote4);
  t.same(m.attributes.map((a) => a.type), [ATTR.MAPPED_ADDRESS], 'nothing an old client may not know');
});

t.test('unknown comprehension-required attributes: 420 listing each once', async (t) => {
  const attrs = [
    { type: ATTR.CHANGE_REQUEST, value: Buffer.alloc(4) },
    { type: 0x7f00, value: Buffer.alloc(0) },
    { type: 0x7f00, value: Buffer.alloc(0) },
    { type: 0xc001, value: Buffer.from('optional') },
  ];
  const m = decodeStunMessage(answerStunBinding(request(attrs), remote4, { software })!);
  t.equal(m.cls, 'error');
  t.same(m.transactionId, TRANSACTION_ID);
  t.equal(decodeErrorCode(attribute(m, ATTR.ERROR_CODE)!).code, 420);
  t.same(decodeUnknownAttributes(attribute(m, ATTR.UNKNOWN_ATTRIBUTES)!), [ATTR.CHANGE_REQUEST, 0x7f00]);
  const ok = decodeStunMessage(answerStunBinding(request([{ type: 0xc001, value: Buffer.from('x') }]), remote4)!);
  t.equal(ok.cls, 'success', 'comprehension-optional ones are ignored');
});

t.test('a malformed request with a valid header gets 400; other methods too', async (t) => {
  const bad = Buffer.concat([request(), Buffer.from('80220010616263', 'hex'), Buffer.alloc(1)]);
  bad.writeUInt16BE(bad.length - 20, 2);
  const m = decodeStunMessage(answerStunBinding(bad, remote4)!);
  t.equal(m.cls, 'error');
  t.equal(decodeErrorCode(attribute(m, ATTR.ERROR_CODE)!).code, 400);
  t.same(m.transactionId, TRANSACTION_ID);
  const allocate = decodeStunMessage(answerStunBinding(request([], { method: 0x003 }), remote4)!);
  t.equal(allocate.method, 0x003);
  t.equal(decodeErrorCode(attribute(allocate, ATTR.ERROR_CODE)!).code, 400);
});

t.test('nothing is sent for indications, responses, bad FINGERPRINTs and non-STUN', async (t) => {
  t.equal(answerStunBinding(request([], { cls: 'indication' }), remote4), undefined, 'Binding indication (a keep-alive)');
  t.equal(answerStunBinding(request([], { cls: 'success' }), remote4), undefined);
  t.equal(answerStunBinding(request([], { cls: 'error' }), remote4), undefined);
  const badFp = request([], { fingerprint: true });
  badFp[badFp.length - 1]! ^= 0xff;
  t.equal(answerStunBinding(badFp, remote4), undefined);
  t.ok(answerStunBinding(request([], { fingerprint: true }), remote4), 'a good FINGERPRINT is fine');
  t.equal(answerStunBinding(Buffer.from('\r\n\r\n'), remote4), undefined);
  t.equal(answerStunBinding(Buffer.from('REGISTER sip:x SIP/2.0\r\n\r\n'), remote4), undefined);
  t.equal(answerStunBinding(request().subarray(0, 19), remote4), undefined);
});
