import t from 'tap';
import { createLogger } from '../../src/log.js';
import { RateLimitedLog } from '../../src/transport/rate-limited-log.js';

t.test('warnings are capped per window and the rest counted', async (t) => {
  const lines: string[] = [];
  let now = 0;
  const log = new RateLimitedLog(createLogger('warn', (l) => lines.push(l)), () => now, 2, 1000);
  for (let i = 0; i < 5; i++) log.warn(`bad ${i}`);
  t.same(lines, ['warn: bad 0\n', 'warn: bad 1\n']);
  now = 1000;
  log.warn('bad 5');
  t.same(lines.slice(2), ['warn: 3 similar warnings were not logged\n', 'warn: bad 5\n']);
});

t.test('notices share the window, and are counted at their own level', async (t) => {
  const lines: string[] = [];
  let now = 0;
  const log = new RateLimitedLog(createLogger('info', (l) => lines.push(l)), () => now, 1, 1000);
  log.info('trimmed 0');
  log.info('trimmed 1');
  now = 1000;
  log.info('trimmed 2');
  log.warn('bad 0');
  now = 2000;
  log.info('trimmed 3');
  t.same(lines, ['info: trimmed 0\n', 'info: 1 similar lines were not logged\n', 'info: trimmed 2\n', 'warn: 1 similar warnings were not logged\n', 'info: trimmed 3\n']);
});
