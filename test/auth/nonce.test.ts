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
