// The polling channels' loop on a fake clock: a round at start and one per interval after the last
// ended, never two at once, none after stop.
import t from 'tap';
import { PollLoop } from '../../src/federation/poll-loop.js';
import { FakeClock } from '../helpers/fake-clock.js';

t.test('a round now, then one per interval counted from the end of the last; none after stop', async (t) => {
  const clock = new FakeClock();
  let rounds = 0;
  let release: () => void = () => {};
  const loop = new PollLoop(clock, 1000, () => {
    rounds++;
    return new Promise<void>((resolve) => (release = resolve));
  });
  loop.start();
  t.equal(rounds, 1, 'at start');
  clock.advance(5000);
  t.equal(rounds, 1, 'a round that has not ended holds the next back');
  const joined = loop.poll();
  t.equal(rounds, 1, 'poll() joins the round running');
  release();
  await joined;
  await Promise.resolve();
  clock.advance(999);
  t.equal(rounds, 1);
  clock.advance(1);
  t.equal(rounds, 2, 'one interval after it ended');
  const stopping = loop.stop();
  release();
  await stopping;
  clock.advance(10_000);
  t.equal(rounds, 2, 'none after stop');
});
