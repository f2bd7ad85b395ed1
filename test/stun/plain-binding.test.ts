import t, { type Test } from 'tap';
import { answerStunBinding, answerStunBindingExact } from '../../src/stun/binding.js';
import { encodeStunMessage, isStunMessage } from '../../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING, type StunClass } from '../../src/stun/constants.js';
import type { StunAttribute } from '../../src/stun/message.js';
import { answerPlainBinding } from '../../src/stun/plain-binding.js';
import { prng } from '../helpers/prng.js';
import { checkStunDatagram } from '../helpers/stun-properties.js';
import { SAMPLE_REQUEST, TRANSACTION_ID } from './rfc5769-vectors.js';

const remote4 = { address: '198.18.0.7', port: 40000 };
const SOFTWARES = [undefined, Buffer.from('abc'), Buffer.from('trucada test'), Buffer.from('trucada 0.1.0')];

function request(attributes: StunAttribute[] = [], o: { cls?: StunClass; method?: number; cookie?: number; fingerprint?: boolean } = {}): Buffer {
  return encodeStunMessage(
    { method: o.method ?? METHOD_BINDING, cls: o.cls ?? 'request', cookie: o.cookie ?? MAGIC_COOKIE, transactionId: TRANSACTION_ID, attributes },
    { fingerprint: o.fingerprint ?? false },
  );
}

const attr = (type: number, bytes: number) => ({ type, value: Buffer.alloc(bytes, 7) });

/** Where the plain path answers (it is asked only for STUN-shaped datagrams), it answers with the bytes of the general one. */
function same(t: Test, datagram: Buffer, remote: { address: string; port: number }, software?: Buffer): boolean {
  if (!isStunMessage(datagram)) return false;
  const plain = answerPlainBinding(datagram, remote, software);
  if (plain === undefined) return false;
  t.same(plain, answerStunBindingExact(datagram, remote, software ? { software } : {}), `${datagram.toString('hex').slice(0, 48)} from ${remote.address}`);
  return true;
}

t.test('ordinary Binding requests are answered the plain way, byte for byte as the general path answers', async (t) => {
  const ordinary = [
    request(),
    request([], { fingerprint: true }),
    request([attr(ATTR.PRIORITY, 4), attr(ATTR.USERNAME, 9), attr(ATTR.SOFTWARE, 5)], { fingerprint: true }),
    request([attr(0x8029, 8)]),
    SAMPLE_REQUEST,
  ];
  for (const datagram of ordinary) {
    for (const software of SOFTWARES) {
      for (const remote of [remote4, { address: '::ffff:198.18.0.7', port: 1 }, { address: '0.0.0.0', port: 65535 }]) {
        t.ok(same(t, datagram, remote, software));
      }
    }
  }
  t.same(answerStunBinding(request(), remote4, { software: SOFTWARES[2] }), answerPlainBinding(request(), remote4, SOFTWARES[2]), 'the responder takes it');
});

t.test('everything else is left to the general path', async (t) => {
  const fp = request([], { fingerprint: true });
  const badFingerprint = Buffer.from(fp);
  badFingerprint[badFingerprint.length - 1]! ^= 1;
  const afterFingerprint = Buffer.concat([fp, Buffer.from([0x80, 0x22, 0, 0])]);
  afterFingerprint.writeUInt16BE(afterFingerprint.length - 20, 2);
  const cases: Record<string, [Buffer, string]> = {
    'an IPv6 client': [request(), '2001:db8::42'],
    'an RFC 3489 client': [request([], { cookie: 0x01020304 }), remote4.address],
    'an unknown comprehension-required attribute': [request([attr(0x7777, 4)]), remote4.address],
    'RESPONSE-ADDRESS, answered as unknown (RFC 8489 §11)': [request([attr(ATTR.RESPONSE_ADDRESS, 8)]), remote4.address],
    'a bad FINGERPRINT': [badFingerprint, remote4.address],
    'an attribute after FINGERPRINT': [afterFingerprint, remote4.address],
    'more attributes than the decoder reads': [request(Array.from({ length: 33 }, () => attr(ATTR.PRIORITY, 4))), remote4.address],
    'another method': [request([], { method: 0x003 }), remote4.address],
    'an indication': [request([], { cls: 'indication' }), remote4.address],
    'a leading zero in the address': [request(), '198.018.0.7'],
    'an octet over 255': [request(), '198.256.0.7'],
    'three octets': [request(), '198.18.0'],
  };
  for (const [name, [datagram, address]] of Object.entries(cases)) {
    t.equal(answerPlainBinding(datagram, { address, port: 5 }, SOFTWARES[1]), undefined, name);
  }
  t.ok(same(t, request(Array.from({ length: 32 }, () => attr(ATTR.PRIORITY, 4))), remote4, SOFTWARES[1]), '32 attributes are still ordinary');
});

t.test('3000 damaged requests from assorted addresses: the plain answer is always the general one', async (t) => {
  const random = prng(0x57a7);
  const bases = [request(), request([], { fingerprint: true }), request([attr(ATTR.PRIORITY, 4), attr(ATTR.USERNAME, 7)], { fingerprint: true }), SAMPLE_REQUEST];
  // Addresses as Node reports a sender's: the plain path's refusal of others is tested above.
  const addresses = ['198.18.0.7', '::ffff:198.18.0.9', '2001:db8::1', '255.255.255.255', '0.0.0.0'];
  let answered = 0;
  for (let i = 0; i < 3000; i++) {
    const datagram = Buffer.from(bases[Math.floor(random() * bases.length)]!);
    const flips = Math.floor(random() * 3);
    for (let f = 0; f < flips; f++) datagram[Math.floor(random() * datagram.length)]! ^= 1 << Math.floor(random() * 8);
    const remote = { address: addresses[Math.floor(random() * addresses.length)]!, port: Math.floor(random() * 65536) };
    const result = checkStunDatagram(datagram, remote, SOFTWARES[Math.floor(random() * SOFTWARES.length)]);
    if (result.failure !== undefined) {
      t.fail(`input ${i}: ${result.failure}\n${datagram.toString('hex')} from ${remote.address}`);
      return;
    }
    if (result.plain) answered++;
  }
  t.ok(answered > 300, `${answered} of 3000 answered the plain way`);
});
