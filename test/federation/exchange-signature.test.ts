import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { signExchange, verifyExchange } from '../../src/federation/exchange-signature.js';
import { identityOf } from '../../src/federation/node-identity.js';

const SENDER = identityOf(generateKeyPairSync('ed25519').privateKey);
const RECEIVER = identityOf(generateKeyPairSync('ed25519').privateKey);
const NOW = 1_765_000_000_000;
const body = Buffer.from('trucada1 a b c 8443 1\n');

t.test('fresh within 60 s of the sender clock as the receiver knows it, for this receiver only', async (t) => {
  const header = signExchange(body, SENDER, RECEIVER.id, NOW);
  const deps = (now: number, offset = 0) => ({ keyOf: (id: string) => (id === SENDER.id ? SENDER.publicKey : undefined), now: () => now, clockOffsetOf: () => offset });
  t.same(verifyExchange(header, body, RECEIVER.id, deps(NOW + 59_000)), { kind: 'verified', nodeId: SENDER.id });
  t.match(verifyExchange(header, body, RECEIVER.id, deps(NOW + 61_000)), { kind: 'refused', why: /stale signature/ });
  t.same(verifyExchange(header, body, RECEIVER.id, deps(NOW + 3_600_000, -3_600_000)), { kind: 'verified', nodeId: SENDER.id }, "a sender's clock an hour behind, as its descriptor told");
  t.match(verifyExchange(header, body, SENDER.id, deps(NOW)), { kind: 'refused', why: 'bad signature' }, 'signed for another receiver');
  t.match(verifyExchange(header, Buffer.from('trucada1 a b c 8443 2\n'), RECEIVER.id, deps(NOW)), { kind: 'refused', why: 'bad signature' }, 'another body');
  t.match(verifyExchange(`${header} `, body, RECEIVER.id, deps(NOW)), { kind: 'verified' }, 'surrounding space is not part of the value');
  t.match(verifyExchange('node=abc;sig=x', body, RECEIVER.id, deps(NOW)), { kind: 'refused', why: 'malformed signature header' });
  t.match(verifyExchange(header.replace(SENDER.id, RECEIVER.id), body, RECEIVER.id, deps(NOW)), { kind: 'refused', why: 'unknown node' });
  t.same(verifyExchange(undefined, body, RECEIVER.id, deps(NOW)), { kind: 'unsigned' });
});
