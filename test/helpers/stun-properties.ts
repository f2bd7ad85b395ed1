/**
 * What must hold for any datagram the STUN responder reads, checked one at a time: by the tests
 * over seeded damaged requests, and by `npm run fuzz` over as many as fit in its time.
 */
import { answerStunBinding, answerStunBindingExact } from '../../src/stun/binding.js';
import { attribute, decodeStunMessage, isStunMessage } from '../../src/stun/codec.js';
import { ATTR } from '../../src/stun/constants.js';
import type { TransportAddress } from '../../src/stun/address.js';
import { answerPlainBinding } from '../../src/stun/plain-binding.js';

/**
 * Answering never throws; where the plain path answers, it answers with the general path's bytes;
 * an answer is a well-formed response to the request (its transaction, a success with an address
 * or an error with ERROR-CODE). `plain` says whether the plain path answered.
 */
export function checkStunDatagram(datagram: Buffer, remote: TransportAddress, software?: Buffer): { plain: boolean; failure?: string } {
  try {
    const options = software === undefined ? {} : { software };
    const answer = answerStunBinding(datagram, remote, options);
    const plain = isStunMessage(datagram) ? answerPlainBinding(datagram, remote, software) : undefined;
    if (plain !== undefined && !plain.equals(answerStunBindingExact(datagram, remote, options) ?? Buffer.alloc(0))) {
      return { plain: true, failure: 'the plain answer differs from the general one' };
    }
    if (answer === undefined) return { plain: false };
    const m = decodeStunMessage(answer);
    if (!answer.subarray(4, 20).equals(datagram.subarray(4, 20))) return { plain: plain !== undefined, failure: 'not the request\'s transaction' };
    const wellFormed =
      m.cls === 'success' ? attribute(m, ATTR.XOR_MAPPED_ADDRESS) !== undefined || attribute(m, ATTR.MAPPED_ADDRESS) !== undefined : m.cls === 'error' && attribute(m, ATTR.ERROR_CODE) !== undefined;
    return wellFormed ? { plain: plain !== undefined } : { plain: plain !== undefined, failure: `a ${m.cls} without its attribute` };
  } catch (e) {
    return { plain: false, failure: (e as Error).stack ?? String(e) };
  }
}
