import t from 'tap';
import { ExpiryQueue } from '../../../src/sip/transactions/expiry-queue.js';
import { FakeClock } from '../../helpers/fake-clock.js';

function setup(lifetimeMs = 1000) {
  const clock = new FakeClock();
  const expired: string[] = [];
  const queue = new ExpiryQueue<string>(clock, lifetimeMs, (item) => expired.push(item));
  return { clock, queue, expired };
}

t.test('items expire in the order they came, each after the lifetime, behind one timer', async (t) => {
  const { clock, queue, expired } = setup();
  t.equal(clock.pending, 0, 'no timer while empty');
  for (let i = 0; i < 1000; i++) {
    queue.add(`a${i}`);
    t.equal(clock.pending, 1);
  }
  clock.advance(100);
  queue.add('b');
  t.equal(clock.pending, 1, 'one timer for 1001 deadlines');
  clock.advance(899);
  t.same(expired, [], 'nothing before its time');
  clock.advance(1);
  t.equal(expired.length, 1000, 'the first thousand at 1000 ms');
  t.same(expired.slice(0, 3), ['a0', 'a1', 'a2'], 'in order');
  t.equal(clock.pending, 1, 're-armed for the next');
  clock.advance(99);
  t.equal(expired.length, 1000);
  clock.advance(1);
  t.equal(expired.at(-1), 'b');
  t.equal(queue.size, 0);
  t.equal(clock.pending, 0, 'no timer once empty');
});

t.test('an entry removed before its time never expires; the head may go', async (t) => {
  const { clock, queue, expired } = setup();
  const first = queue.add('first');
  clock.advance(10);
  const middle = queue.add('middle');
  clock.advance(10);
  queue.add('last');
  queue.remove(middle);
  queue.remove(first);
  queue.remove(first);
  t.equal(queue.size, 1);
  clock.advance(980);
  t.same(expired, [], "the timer armed for the removed head fires and finds nothing due");
  t.equal(clock.pending, 1, 'and re-arms for the new head');
  clock.advance(20);
  t.same(expired, ['last']);
  t.equal(clock.pending, 0);
});

t.test('removing the last entry clears the timer', async (t) => {
  const { clock, queue } = setup();
  const only = queue.add('only');
  queue.remove(only);
  t.equal(clock.pending, 0);
  queue.add('again');
  t.equal(clock.pending, 1, 'armed anew');
});

t.test('an expiring item may remove others and add new ones', async (t) => {
  const clock = new FakeClock();
  const expired: string[] = [];
  const entries = new Map<string, ReturnType<ExpiryQueue<string>['add']>>();
  const queue: ExpiryQueue<string> = new ExpiryQueue<string>(clock, 1000, (item) => {
    expired.push(item);
    if (item === 'a') queue.remove(entries.get('b')!);
    if (item === 'c') entries.set('d', queue.add('d'));
  });
  for (const item of ['a', 'b', 'c']) entries.set(item, queue.add(item));
  clock.advance(1000);
  t.same(expired, ['a', 'c'], 'b was removed by a, due at the same time');
  t.equal(clock.pending, 1, 'd is armed');
  queue.remove(entries.get('d')!);
  t.equal(clock.pending, 0);
});

t.test('a clock set back does not reorder the queue', async (t) => {
  const now = { value: 10_000 };
  const fake = new FakeClock();
  const clock = { ...fake, now: () => now.value };
  const queue = new ExpiryQueue<string>(clock, 1000, () => {});
  const early = queue.add('early');
  now.value -= 5000;
  const late = queue.add('late');
  t.equal(late.due, early.due, 'due no earlier than the one before it');
});

t.test('an expiry that throws does not stop the others', async (t) => {
  const clock = new FakeClock();
  const expired: string[] = [];
  const queue = new ExpiryQueue<string>(clock, 1000, (item) => {
    if (item === 'bad') throw new Error('bad');
    expired.push(item);
  });
  queue.add('bad');
  clock.advance(10);
  queue.add('good');
  t.throws(() => clock.advance(990), /bad/);
  t.equal(clock.pending, 1, 're-armed for the next');
  clock.advance(10);
  t.same(expired, ['good']);
});

t.test('a lifetime must be a number of ms', async (t) => {
  const clock = new FakeClock();
  for (const bad of [-1, NaN, Infinity]) t.throws(() => new ExpiryQueue(clock, bad, () => {}), RangeError);
});
