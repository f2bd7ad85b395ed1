import t from 'tap';
import { decodeMappedAddress, decodeXorMappedAddress, encodeXorMappedAddress } from '../../src/stun/address.js';
import { attribute, decodeStunMessage, encodeStunMessage, isStunMessage } from '../../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING } from '../../src/stun/constants.js';
import { crc32 } from '../../src/stun/crc32.js';
import { decodeErrorCode, decodeUnknownAttributes, encodeErrorCode, encodeUnknownAttributes } from '../../src/stun/error-attributes.js';
import { decodeMessageType, encodeMessageType } from '../../src/stun/message.js';
import { StunError } from '../../src/stun/stun-error.js';
import { SAMPLE_IPV4_RESPONSE, SAMPLE_IPV6_RESPONSE, SAMPLE_REQUEST, TRANSACTION_ID } from './rfc5769-vectors.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (err) {
    return err instanceof StunError ? err.code : String(err);
  }
};

t.test('CRC-32 is the ISO 3309 one', async (t) => {
  t.equal(crc32(Buffer.from('123456789')), 0xcbf43926, 'the standard check value');
  t.equal(crc32(Buffer.alloc(0)), 0);
});

t.test('message types: RFC 8489 §5 bit layout', async (t) => {
  t.equal(encodeMessageType(METHOD_BINDING, 'request'), 0x0001);
  t.equal(encodeMessageType(METHOD_BINDING, 'indication'), 0x0011);
  t.equal(encodeMessageType(METHOD_BINDING, 'success'), 0x0101);
  t.equal(encodeMessageType(METHOD_BINDING, 'error'), 0x0111);
  for (const method of [0x001, 0x003, 0x00a, 0xfff, 0x080]) {
    for (const cls of ['request', 'indication', 'success', 'error'] as const) {
      t.same(decodeMessageType(encodeMessageType(method, cls)), { method, cls });
    }
  }
});

t.test('RFC 5769 §2.1 sample request: read, FINGERPRINT checked', async (t) => {
  t.ok(isStunMessage(SAMPLE_REQUEST));
  const m = decodeStunMessage(SAMPLE_REQUEST);
  t.equal(m.method, METHOD_BINDING);
  t.equal(m.cls, 'request');
  t.equal(m.cookie, MAGIC_COOKIE);
  t.same(m.transactionId, TRANSACTION_ID);
  t.same(m.attributes.map((a) => a.type), [ATTR.SOFTWARE, 0x0024, 0x8029, ATTR.USERNAME, ATTR.MESSAGE_INTEGRITY, ATTR.FINGERPRINT]);
  t.equal(attribute(m, ATTR.SOFTWARE)?.toString(), 'STUN test client');
  t.equal(attribute(m, ATTR.USERNAME)?.toString(), 'evtj:h6vY', 'a 9-byte value without its padding');
});

t.test('RFC 5769 §2.2 and §2.3 sample responses: XOR-MAPPED-ADDRESS and FINGERPRINT', async (t) => {
  const v4 = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  t.equal(v4.cls, 'success');
  t.equal(attribute(v4, ATTR.SOFTWARE)?.toString(), 'test vector');
  t.same(decodeXorMappedAddress(attribute(v4, ATTR.XOR_MAPPED_ADDRESS)!, v4.transactionId), { address: '192.0.2.1', port: 32853 });
  const v6 = decodeStunMessage(SAMPLE_IPV6_RESPONSE);
  t.same(decodeXorMappedAddress(attribute(v6, ATTR.XOR_MAPPED_ADDRESS)!, v6.transactionId), {
    address: '2001:db8:1234:5678:11:2233:4455:6677',
    port: 32853,
  });
  // The encoder gives the RFC's bytes for the same address and transaction.
  t.same(encodeXorMappedAddress({ address: '192.0.2.1', port: 32853 }, TRANSACTION_ID), SAMPLE_IPV4_RESPONSE.subarray(40, 48));
  t.same(
    encodeXorMappedAddress({ address: '2001:db8:1234:5678:11:2233:4455:6677', port: 32853 }, TRANSACTION_ID),
    SAMPLE_IPV6_RESPONSE.subarray(40, 60),
  );
  t.same(encodeXorMappedAddress({ address: '::ffff:192.0.2.1', port: 32853 }, TRANSACTION_ID), SAMPLE_IPV4_RESPONSE.subarray(40, 48), 'a mapped IPv4 peer is IPv4');
});

t.test('FINGERPRINT: the RFC 5769 values, and the encoder writes the same bytes but for padding', async (t) => {
  for (const [name, sample] of [['request', SAMPLE_REQUEST], ['IPv4 response', SAMPLE_IPV4_RESPONSE], ['IPv6 response', SAMPLE_IPV6_RESPONSE]] as const) {
    const fpAt = sample.length - 8;
    t.equal((crc32(sample, 0, fpAt) ^ 0x5354554e) >>> 0, sample.readUInt32BE(fpAt + 4), `${name}: CRC-32 XOR 0x5354554e`);
    const m = decodeStunMessage(sample);
    const again = encodeStunMessage({ ...m, attributes: m.attributes.filter((a) => a.type !== ATTR.FINGERPRINT) }, { fingerprint: true });
    t.equal(again.length, sample.length, `${name}: length`);
    // The RFC pads with spaces where the encoder writes zeros; everything else is the same.
    const blankPadding = (b: Buffer) => {
      const copy = Buffer.from(b.subarray(0, fpAt));
      for (const a of m.attributes) {
        const end = a.value.byteOffset - sample.byteOffset + a.value.length;
        copy.fill(0, end, Math.min(fpAt, (end + 3) & ~3));
      }
      return copy;
    };
    t.same(blankPadding(again), blankPadding(sample), `${name}: the same bytes before the FINGERPRINT`);
    t.doesNotThrow(() => decodeStunMessage(again), `${name}: the encoder's FINGERPRINT checks`);
  }
});

t.test('strict lengths: NOT_STUN for a wrong shape, MALFORMED for a bad body', async (t) => {
  t.equal(code(() => decodeStunMessage(SAMPLE_REQUEST.subarray(0, 19))), 'NOT_STUN', 'shorter than a header');
  t.equal(code(() => decodeStunMessage(SAMPLE_REQUEST.subarray(0, SAMPLE_REQUEST.length - 4))), 'NOT_STUN', 'length field larger than the datagram');
  t.equal(code(() => decodeStunMessage(Buffer.concat([SAMPLE_REQUEST, Buffer.alloc(4)]))), 'NOT_STUN', 'trailing bytes');
  const firstBits = Buffer.from(SAMPLE_REQUEST);
  firstBits[0] = 0x40;
  t.equal(code(() => decodeStunMessage(firstBits)), 'NOT_STUN', 'leading bits not zero');
  t.notOk(isStunMessage(Buffer.from('OPTIONS sip:a@b SIP/2.0\r\n\r\n')), 'SIP is not STUN');

  const header = (length: number) => {
    const h = Buffer.alloc(20);
    h.writeUInt16BE(0x0001, 0);
    h.writeUInt16BE(length, 2);
    h.writeUInt32BE(MAGIC_COOKIE, 4);
    return h;
  };
  const overrun = Buffer.concat([header(8), Buffer.from('80220008616263640000', 'hex').subarray(0, 8)]);
  t.equal(code(() => decodeStunMessage(overrun)), 'MALFORMED', 'an attribute longer than what is left');
  const afterFingerprint = Buffer.from(SAMPLE_REQUEST.subarray(0, SAMPLE_REQUEST.length));
  const withTail = Buffer.concat([afterFingerprint, Buffer.from('80220000', 'hex')]);
  withTail.writeUInt16BE(withTail.length - 20, 2);
  t.equal(code(() => decodeStunMessage(withTail)), 'BAD_FINGERPRINT', 'the length change breaks the CRC first');
  const fpTooLong = Buffer.concat([header(12), Buffer.from('8028000800000000 00000000'.replace(/ /g, ''), 'hex')]);
  t.equal(code(() => decodeStunMessage(fpTooLong)), 'MALFORMED', 'a FINGERPRINT of 8 bytes');
  const many = Buffer.concat([header(33 * 4), ...Array.from({ length: 33 }, () => Buffer.from('80300000', 'hex'))]);
  t.equal(code(() => decodeStunMessage(many)), 'MALFORMED', 'too many attributes');
  const badFp = Buffer.from(SAMPLE_REQUEST);
  badFp[badFp.length - 1]! ^= 1;
  t.equal(code(() => decodeStunMessage(badFp)), 'BAD_FINGERPRINT');
});

t.test('an attribute after a valid FINGERPRINT is MALFORMED', async (t) => {
  const m = decodeStunMessage(SAMPLE_IPV4_RESPONSE);
  const body = encodeStunMessage({ ...m, attributes: m.attributes.filter((a) => a.type !== ATTR.FINGERPRINT) }, { fingerprint: true });
  const withTail = Buffer.concat([body, Buffer.from('80300000', 'hex')]);
  withTail.writeUInt16BE(withTail.length - 20, 2);
  // Recompute the FINGERPRINT over the new length so only the position is wrong.
  const fpAt = body.length - 8;
  withTail.writeUInt32BE((crc32(withTail, 0, fpAt) ^ 0x5354554e) >>> 0, fpAt + 4);
  t.equal(code(() => decodeStunMessage(withTail)), 'MALFORMED');
});

t.test('MAPPED-ADDRESS, ERROR-CODE and UNKNOWN-ATTRIBUTES values', async (t) => {
  t.same(decodeMappedAddress(Buffer.from('0001 1f90 c0000201'.replace(/ /g, ''), 'hex')), { address: '192.0.2.1', port: 8080 });
  t.equal(code(() => decodeMappedAddress(Buffer.from('0001 1f90 c00002'.replace(/ /g, ''), 'hex'))), 'MALFORMED');
  t.equal(code(() => decodeMappedAddress(Buffer.from('0003 1f90 c0000201'.replace(/ /g, ''), 'hex'))), 'MALFORMED', 'unknown family');
  t.same(decodeErrorCode(encodeErrorCode({ code: 420, reason: 'Unknown Attribute' })), { code: 420, reason: 'Unknown Attribute' });
  t.same(encodeErrorCode({ code: 420, reason: '' }), Buffer.from('00000414', 'hex'), 'class 4, number 20');
  t.throws(() => encodeErrorCode({ code: 200, reason: '' }), RangeError);
  t.equal(code(() => decodeErrorCode(Buffer.from('000007', 'hex'))), 'MALFORMED');
  t.equal([...encodeErrorCode({ code: 400, reason: 'é'.repeat(200) }).subarray(4).toString()].length, 128, 'reason cut to 128 characters');
  t.same(decodeUnknownAttributes(encodeUnknownAttributes([0x0003, 0x7fff, 0x0002])), [0x0003, 0x7fff, 0x0002]);
  const odd = encodeStunMessage({ method: 1, cls: 'error', cookie: MAGIC_COOKIE, transactionId: TRANSACTION_ID, attributes: [{ type: ATTR.UNKNOWN_ATTRIBUTES, value: encodeUnknownAttributes([3]) }] });
  t.equal(odd.length, 28, 'an odd list is padded to 4 bytes');
  t.same(decodeUnknownAttributes(attribute(decodeStunMessage(odd), ATTR.UNKNOWN_ATTRIBUTES)!), [3]);
});
