import t from 'tap';
import { RateLimiter, isLoopback } from '../../src/net/rate-limit.js';

t.test('a burst, then the refill rate', async (t) => {
  let now = 1_000_000;
  const limiter = new RateLimiter({ now: () => now, perSecond: 10, burst: 5, maxAddresses: 100 });
  const take = (n: number, a = '192.0.2.1') => Array.from({ length: n }, () => limiter.allow(a)).filter(Boolean).length;
  t.equal(take(20), 5, 'the burst');
  now += 100;
  t.equal(take(20), 1, 'one token per 100 ms');
  now += 10_000;
  t.equal(take(20), 5, 'never more than the burst');
  t.equal(take(3, '192.0.2.2'), 3, 'each address has its own bucket');
});

t.test('memory stays bounded; the least recently seen address goes first', async (t) => {
  const limiter = new RateLimiter({ now: () => 0, perSecond: 1, burst: 1, maxAddresses: 3 });
  for (let i = 0; i < 1000; i++) limiter.allow(`10.0.${i >> 8}.${i & 255}`);
  t.equal(limiter.size, 3);
  const l2 = new RateLimiter({ now: () => 0, perSecond: 1, burst: 1, maxAddresses: 2 });
  t.ok(l2.allow('a'));
  t.ok(l2.allow('b'));
  t.notOk(l2.allow('a'), 'a used up, and now the most recent');
  t.ok(l2.allow('c'), 'evicts b');
  t.notOk(l2.allow('a'), 'a is still remembered');
});

t.test('exempt addresses and bad settings', async (t) => {
  const limiter = new RateLimiter({ now: () => 0, perSecond: 1, burst: 1, maxAddresses: 10, exempt: isLoopback });
  for (let i = 0; i < 10; i++) t.ok(limiter.allow('127.0.0.1'));
  t.equal(limiter.size, 0);
  t.ok(isLoopback('::1') && isLoopback('127.3.4.5') && isLoopback('::ffff:127.0.0.1'));
  t.notOk(isLoopback('10.127.0.1') || isLoopback('::2') || isLoopback('1270::1'));
  t.throws(() => new RateLimiter({ now: () => 0, perSecond: 0, burst: 1, maxAddresses: 1 }), RangeError);
});
