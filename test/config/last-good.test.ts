import t from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LAST_GOOD, loadOrLastGood } from '../../src/config/last-good.js';
import { createLogger } from '../../src/log.js';
import { tempDir } from '../helpers/temp-dir.js';

function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const data = join(dir, 'data');
  mkdirSync(data);
  const path = join(dir, 'trucada');
  const logs: string[] = [];
  const logger = createLogger('info', (l) => logs.push(l.trimEnd()));
  const good = `config trucada 'main'\n\toption domain 'node7.mesh'\n\toption data_dir '${data}'\n\toption signup 'closed'\n`;
  return { dir, data, path, logs, logger, good };
}

t.test('a file that cannot be read falls back to the last good copy in the data_dir it names', async (t) => {
  const s = setup(t);
  writeFileSync(join(s.data, LAST_GOOD), s.good);
  for (const [what, text] of [
    ['cut inside a quote', s.good.slice(0, -5)],
    ['a statement cut in two', `${s.good}\tconf`],
    ['a NUL-filled tail', `${s.good}${'\0'.repeat(64)}`],
  ] as const) {
    writeFileSync(s.path, text);
    const config = loadOrLastGood({ path: s.path, hostname: 'r1' }, s.logger);
    t.match(config, { domain: 'node7.mesh', signup: 'closed', source: join(s.data, LAST_GOOD) }, what);
  }
  t.match(s.logs.at(-1), /^error: .*starting from the last good copy/);
});

t.test('no copy, or a file that parses but is wrong: the error stands', async (t) => {
  const s = setup(t);
  writeFileSync(s.path, s.good.slice(0, -5));
  t.throws(() => loadOrLastGood({ path: s.path, hostname: 'r1' }, s.logger), { code: 'UCI_SYNTAX' }, 'no good copy kept yet');
  // An empty file names no data_dir: its copy is looked for in /etc/trucada, which this machine may hold.
  writeFileSync(s.path, '');
  if (!existsSync('/etc/trucada/config.last-good')) {
    t.throws(() => loadOrLastGood({ path: s.path, hostname: 'r1' }, s.logger), { code: 'CONFIG_FILE', message: /empty/ }, 'an empty file is torn, not all defaults');
  }
  writeFileSync(s.path, s.good.slice(0, -5));
  writeFileSync(join(s.data, LAST_GOOD), s.good);
  writeFileSync(s.path, `${s.good}\toption signup 'sometimes'\n`);
  t.throws(() => loadOrLastGood({ path: s.path, hostname: 'r1' }, s.logger), { code: 'CONFIG_VALUE' }, "a wrong value is the operator's to fix, not passed over");
  t.same(s.logs, []);
});
