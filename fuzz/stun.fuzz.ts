/**
 * `npm run fuzz`: the STUN responder's properties (test/helpers/stun-properties.ts) over as many
 * damaged requests, truncations and random datagrams from assorted addresses as fit in
 * FUZZ_SECONDS, from a seed printed first (FUZZ_SEED replays a run).
 */
import t from 'tap';
import { encodeStunMessage } from '../src/stun/codec.js';
import { ATTR, MAGIC_COOKIE, METHOD_BINDING } from '../src/stun/constants.js';
import { prng } from '../test/helpers/prng.js';
import { checkStunDatagram } from '../test/helpers/stun-properties.js';
import { SAMPLE_REQUEST, TRANSACTION_ID } from '../test/stun/rfc5769-vectors.js';
import { fuzzSettings, runFor } from './fuzz-settings.js';

const { seconds, seed } = fuzzSettings();
t.comment(`seed ${seed} (FUZZ_SEED=${seed} replays it), ${seconds} s`);

const binding = (attributes: { type: number; value: Buffer }[], fingerprint: boolean, cookie = MAGIC_COOKIE) =>
  encodeStunMessage({ method: METHOD_BINDING, cls: 'request', cookie, transactionId: TRANSACTION_ID, attributes }, { fingerprint });
const BASES = [
  binding([], false),
  binding([], true),
  binding([{ type: ATTR.PRIORITY, value: Buffer.alloc(4, 1) }, { type: ATTR.USERNAME, value: Buffer.from('a:b') }], true),
  binding([], false, 0x01020304),
  SAMPLE_REQUEST,
];
const ADDRESSES = ['198.18.0.7', '::ffff:198.18.0.9', '2001:db8::1', '198.19.255.255', '0.0.0.0', '::1'];
const SOFTWARES = [undefined, Buffer.from('x'), Buffer.from('trucada 0.1.0')];

t.test('damaged, truncated and random datagrams', async (t) => {
  const random = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  let plain = 0;
  const count = runFor(seconds, (i) => {
    const base = pick(BASES);
    let data: Buffer;
    const kind = Math.floor(random() * 4);
    if (kind === 0) data = base.subarray(0, Math.floor(random() * (base.length + 1)));
    else if (kind === 3) data = Buffer.from(Array.from({ length: Math.floor(random() * 120) }, () => Math.floor(random() * 256)));
    else {
      data = Buffer.from(base);
      // kind 2 keeps the header, so that the attribute walk is what meets the damage.
      const from = kind === 2 ? 20 : 0;
      for (let k = 0; k < 1 + random() * 4 && data.length > from; k++) data[from + Math.floor(random() * (data.length - from))] = Math.floor(random() * 256);
    }
    const result = checkStunDatagram(data, { address: pick(ADDRESSES), port: Math.floor(random() * 65536) }, pick(SOFTWARES));
    if (result.plain) plain++;
    if (result.failure === undefined) return true;
    t.fail(`input ${i}: ${result.failure}\n${data.toString('hex')}`);
    return false;
  });
  t.ok(plain > 0, `${count} datagrams, ${plain} answered the plain way`);
});
