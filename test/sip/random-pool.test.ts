import t from 'tap';
import { RandomPool } from '../../src/sip/random-pool.js';

t.test('hands out each random byte once, across refills', async (t) => {
  const pool = new RandomPool(16);
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const hex = pool.hex(6);
    t.match(hex, /^[0-9a-f]{12}$/);
    seen.add(hex);
  }
  t.equal(seen.size, 200, 'no value repeats');
});

t.test('fill writes exactly the asked range; requests larger than the block still work', async (t) => {
  const pool = new RandomPool(8);
  const target = Buffer.alloc(32);
  pool.fill(target, 4, 8);
  t.same(target.subarray(0, 4), Buffer.alloc(4), 'before the range untouched');
  t.same(target.subarray(12), Buffer.alloc(20), 'after the range untouched');
  t.notSame(target.subarray(4, 12), Buffer.alloc(8));
  pool.fill(target, 12, 20);
  t.notSame(target.subarray(12), Buffer.alloc(20));
  t.match(pool.hex(40), /^[0-9a-f]{80}$/);
});
