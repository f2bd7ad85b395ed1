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
