import t from 'tap';
import { FailureThrottle } from '../../src/auth/throttle.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('blocks after maxFailures in the window, for the cool-down', async (t) => {
  const clock = new FakeClock();
  const th = new FailureThrottle({ now: clock.now, maxFailures: 3, windowMs: 60_000, coolDownMs: 30_000 });
  th.recordFailure('a');
  th.recordFailure('a');
  t.equal(th.blockedFor('a'), 0);
  th.recordFailure('a');
  t.equal(th.blockedFor('a'), 30_000);
  t.equal(th.blockedFor('b'), 0, 'other keys unaffected');
  clock.advance(30_000);
  t.equal(th.blockedFor('a'), 0, 'cool-down over');
});

t.test('failures spread beyond the window do not add up; success clears', async (t) => {
  const clock = new FakeClock();
  const th = new FailureThrottle({ now: clock.now, maxFailures: 2, windowMs: 1000 });
  th.recordFailure('a');
  clock.advance(1001);
  th.recordFailure('a');
  t.equal(th.blockedFor('a'), 0);
  th.recordSuccess('a');
  th.recordFailure('a');
  t.equal(th.blockedFor('a'), 0);
  th.recordFailure('a');
  t.ok(th.blockedFor('a') > 0);
});

t.test('memory is bounded', async (t) => {
  const clock = new FakeClock();
  const th = new FailureThrottle({ now: clock.now, maxKeys: 100 });
  for (let i = 0; i < 1000; i++) th.recordFailure(`k${i}`);
  t.ok(th.size <= 100);
});
