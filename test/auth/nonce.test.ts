import t from 'tap';
import { NonceManager } from '../../src/auth/nonce.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('a fresh nonce is valid, an old one stale, a foreign one invalid', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, lifetimeMs: 300_000 });
  const n = nonces.issue();
  t.match(n, /^[A-Za-z0-9_-]{43}$/);
  t.equal(nonces.check(n), 'valid');
  clock.advance(300_000);
  t.equal(nonces.check(n), 'valid');
  clock.advance(1);
  t.equal(nonces.check(n), 'stale');
  const other = new NonceManager({ now: clock.now });
  t.equal(other.check(nonces.issue()), 'invalid', 'another process secret');
  t.equal(nonces.check('garbage'), 'invalid');
  const tampered = n.slice(0, 5) + (n[5] === 'A' ? 'B' : 'A') + n.slice(6);
  t.equal(nonces.check(tampered), 'invalid');
});

t.test('a nonce from the future is refused', async (t) => {
  const clock = new FakeClock();
  const secret = Buffer.alloc(32, 7);
  const n = new NonceManager({ now: () => clock.now() + 60_000, secret }).issue();
  t.equal(new NonceManager({ now: clock.now, secret }).check(n), 'invalid');
});

t.test('the same request again with the same count is a retransmission within 64*T1, else a replay', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now });
  const n = nonces.issue();
  t.ok(nonces.use(n, 1, 'z9hG4bKfirst'));
  clock.advance(4_000);
  t.ok(nonces.use(n, 1, 'z9hG4bKfirst'), 'its retransmission (same branch) is accepted again');
  t.notOk(nonces.use(n, 1, 'z9hG4bKother'), 'another request with that count is a replay');
  t.notOk(nonces.use(n, 1), 'so is one that names no request');
  clock.advance(28_001);
  t.notOk(nonces.use(n, 1, 'z9hG4bKfirst'), 'past 64*T1 no retransmission comes: a replay');
  t.ok(nonces.use(n, 2, 'z9hG4bKsecond'));
  t.notOk(nonces.use(n, 1, 'z9hG4bKfirst'), 'a lower count is a replay whatever it names');
  t.ok(nonces.use(n, 2, 'z9hG4bKsecond'), "the newest count's request may still come again");
  const fresh = nonces.issue();
  t.ok(nonces.use(fresh, 1));
  t.notOk(nonces.use(fresh, 1), 'without a branch a count is good once');
});

t.test('nonce counts must grow', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now });
  const n = nonces.issue();
  t.ok(nonces.use(n, 1));
  t.notOk(nonces.use(n, 1), 'same nc is a replay');
  t.ok(nonces.use(n, 3));
  t.notOk(nonces.use(n, 2), 'lower nc is a replay');
  t.notOk(nonces.use('forged', 1));
});

t.test('tracking is bounded; evicted nonces turn stale, never valid again', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, maxTracked: 3 });
  const issued = Array.from({ length: 5 }, () => {
    clock.advance(10);
    return nonces.issue();
  });
  for (const n of issued) t.ok(nonces.use(n, 1));
  t.equal(nonces.tracked, 3);
  t.equal(nonces.check(issued[0]!), 'stale', 'evicted: cannot tell a replay');
  t.equal(nonces.check(issued[4]!), 'valid');
  clock.advance(400_000);
  const fresh = nonces.issue();
  t.ok(nonces.use(fresh, 1));
  t.equal(nonces.tracked, 1, 'expired entries pruned first');
});
