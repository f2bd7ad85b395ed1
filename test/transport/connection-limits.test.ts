import t from 'tap';
import { ConnectionLimits } from '../../src/transport/connection-limits.js';

t.test('connections are counted per address up to the limit', async (t) => {
  const limits = new ConnectionLimits(2);
  t.ok(limits.acquire('198.18.0.1'));
  t.ok(limits.acquire('198.18.0.1'));
  t.notOk(limits.acquire('198.18.0.1'), 'the third is refused');
  t.ok(limits.acquire('198.18.0.2'), 'other addresses are counted apart');
  limits.release('198.18.0.1');
  t.equal(limits.count('198.18.0.1'), 1);
  t.ok(limits.acquire('198.18.0.1'));
  limits.release('198.18.0.2');
  limits.release('198.18.0.2');
  t.equal(limits.count('198.18.0.2'), 0, 'never below zero');
  t.throws(() => new ConnectionLimits(0), RangeError);
});
