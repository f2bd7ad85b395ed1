import t from 'tap';
import { NonceManager } from '../../src/auth/nonce.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('a full table evicts in first-use order, many times over', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, maxTracked: 50 });
  const used: string[] = [];
  for (let i = 0; i < 500; i++) {
    clock.advance(1);
    const n = nonces.issue();
    t.ok(nonces.use(n, 1));
    used.push(n);
    if (nonces.tracked > 50) t.fail('over the bound');
  }
  t.equal(nonces.tracked, 50);
  for (const n of used.slice(-50)) if (nonces.use(n, 1)) t.fail('a tracked nonce took a replayed count');
  for (const n of used.slice(-50)) if (!nonces.use(n, 2)) t.fail('a tracked nonce refused a higher count');
  for (const n of used.slice(0, 450)) if (nonces.check(n) !== 'stale') t.fail('an evicted nonce was not stale');
});

t.test('expired entries go before live ones, even when the table filled long before', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, maxTracked: 4, lifetimeMs: 1000 });
  const old = [nonces.issue(), nonces.issue()];
  for (const n of old) nonces.use(n, 1);
  clock.advance(900);
  const live = [nonces.issue(), nonces.issue()];
  for (const n of live) nonces.use(n, 1);
  clock.advance(200);
  const fresh = nonces.issue();
  t.ok(nonces.use(fresh, 1));
  t.equal(nonces.tracked, 3, 'both expired ones went, no live one');
  for (const n of live) t.notOk(nonces.use(n, 1), 'still tracked: a replay is caught');
});

t.test('a nonce answered after later ones, with the table full, is still valid: only used ones turn stale (issue 12)', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, maxTracked: 3 });
  const [slow, ...quick] = Array.from({ length: 5 }, () => {
    clock.advance(1);
    return nonces.issue();
  });
  for (const n of quick) t.ok(nonces.use(n!, 1), 'quick clients answer first');
  t.equal(nonces.tracked, 3, 'the first quick one was evicted');
  t.equal(nonces.check(slow!), 'valid', 'the slow client answered a nonce issued before the evicted one');
  t.ok(nonces.use(slow!, 1));
  t.equal(nonces.check(quick[0]!), 'stale', 'the evicted one was used: a replay cannot be told, so stale');
  t.notOk(nonces.use(quick[0]!, 2));
});

t.test('under a flood, every client that answers its own challenge once is accepted', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, maxTracked: 500 });
  // 500 outstanding challenges, answered in a shuffled order, 20 000 times over (sipp -l 500).
  const outstanding: string[] = [];
  let refused = 0;
  let seed = 1;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let i = 0; i < 20_000; i++) {
    clock.advance(0.05);
    outstanding.push(nonces.issue());
    if (outstanding.length < 500) continue;
    const [n] = outstanding.splice(Math.floor(random() * outstanding.length), 1);
    if (nonces.check(n!) !== 'valid' || !nonces.use(n!, 1)) refused++;
  }
  t.equal(refused, 0);
});

t.test('past the used window a nonce cannot be told from a used one: stale', async (t) => {
  const clock = new FakeClock();
  const nonces = new NonceManager({ now: clock.now, usedWindow: 8 });
  const old = nonces.issue();
  for (let i = 0; i < 7; i++) nonces.issue();
  t.equal(nonces.check(old), 'valid', 'the eighth back is still in the window');
  nonces.issue();
  t.equal(nonces.check(old), 'stale');
  t.notOk(nonces.use(old, 1));
  t.throws(() => new NonceManager({ now: clock.now, usedWindow: 12 }), RangeError);
});
