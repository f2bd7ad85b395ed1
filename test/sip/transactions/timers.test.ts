import t from 'tap';
import { backoff, DEFAULT_TIMERS, TIMER_DEFAULTS, transactionTimers, unreliableOnly } from '../../../src/sip/transactions/timers.js';

t.test('the defaults are the values of RFC 3261 Table 4 and RFC 6026', async (t) => {
  t.same(TIMER_DEFAULTS, { t1: 500, t2: 4000, t4: 5000 });
  t.same(transactionTimers(), {
    t1: 500,
    t2: 4000,
    t4: 5000,
    a: 500,
    b: 32_000,
    d: 32_000,
    e: 500,
    f: 32_000,
    g: 500,
    h: 32_000,
    i: 5000,
    j: 32_000,
    k: 5000,
    l: 32_000,
    m: 32_000,
  });
});

t.test('every value derives from T1, T2 and T4', async (t) => {
  const timers = transactionTimers({ t1: 100, t2: 400, t4: 700 });
  t.equal(timers.a, 100);
  t.equal(timers.e, 100);
  t.equal(timers.g, 100);
  for (const name of ['b', 'f', 'h', 'j', 'l', 'm'] as const) t.equal(timers[name], 6400, `${name} = 64*T1`);
  t.equal(timers.i, 700, 'I = T4');
  t.equal(timers.k, 700, 'K = T4');
  t.equal(timers.t2, 400);
});

t.test('Timer D is at least 32 s and at least 64*T1', async (t) => {
  t.equal(transactionTimers({ t1: 100, t2: 400 }).d, 32_000, 'a small T1 still waits 32 s');
  t.equal(transactionTimers({ t1: 1000 }).d, 64_000, 'a large T1 waits as long as the server resends');
});

t.test('partial options keep the other defaults', async (t) => {
  const timers = transactionTimers({ t4: 2000 });
  t.equal(timers.t1, 500);
  t.equal(timers.t2, 4000);
  t.equal(timers.i, 2000);
  t.equal(timers.k, 2000);
});

t.test('contradictory or impossible values throw', async (t) => {
  for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => transactionTimers({ t1: bad }), RangeError, `t1 ${bad}`);
    t.throws(() => transactionTimers({ t2: bad }), RangeError, `t2 ${bad}`);
    t.throws(() => transactionTimers({ t4: bad }), RangeError, `t4 ${bad}`);
  }
  t.throws(() => transactionTimers({ t1: 500, t2: 499 }), RangeError, 'T2 below T1');
  t.equal(transactionTimers({ t1: 500, t2: 500 }).t2, 500, 'T2 equal to T1 is allowed');
});

t.test('unreliableOnly gives zero on reliable transports', async (t) => {
  t.equal(unreliableOnly(5000, false), 5000);
  t.equal(unreliableOnly(5000, true), 0);
});

t.test('backoff doubles, capped only where a cap is given', async (t) => {
  t.equal(backoff(500), 1000);
  t.equal(backoff(16_000), 32_000, 'no cap by default (Timer A)');
  t.equal(backoff(1000, 4000), 2000);
  t.equal(backoff(2000, 4000), 4000);
  t.equal(backoff(4000, 4000), 4000, 'E and G stay at T2');
});

t.test('DEFAULT_TIMERS is the frozen default set', async (t) => {
  t.same(DEFAULT_TIMERS, transactionTimers());
  t.ok(Object.isFrozen(DEFAULT_TIMERS));
});
