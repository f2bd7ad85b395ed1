import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { OPTIONS, defaultText } from '../../src/config/options.js';

const HEADER = '| option | type | default | meaning | example |';
const root = new URL('../../', import.meta.url);

/** The README documents every option; the table and the code's defaults must not drift apart. */
function docsText(): { name: string; text: string } {
  return { name: 'README.md', text: readFileSync(new URL('README.md', root), 'utf8') };
}

function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const start = lines.indexOf(HEADER);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split(' | ').map((cell) => cell.trim()));
  }
  return rows;
}

const docs = docsText();

t.test(`${docs.name} has one table row per option, with its type and default`, async (t) => {
  t.ok(docs.text.includes(HEADER), 'the table is there');
  const rows = tableRows(docs.text);
  const names = rows.map((r) => r[0]?.replace(/`/g, ''));
  t.same(names, OPTIONS.map((o) => o.name), 'the same options in the same order, each once');
  for (const o of OPTIONS) {
    const row = rows.find((r) => r[0] === `\`${o.name}\``);
    t.equal(row?.length, 5, `${o.name}: five cells`);
    t.equal(row?.[1], o.type.describe, `${o.name}: type`);
    t.equal(row?.[2], defaultText(o), `${o.name}: default`);
  }
});

t.test(`the sample file in ${docs.name} loads`, async (t) => {
  const sample = /A sample `\/etc\/config\/trucada`:\n\n```\n([\s\S]*?)```/.exec(docs.text)?.[1];
  t.ok(sample, 'the sample is there');
  const dir = mkdtempSync(join(tmpdir(), 'trucada-docs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'trucada');
  writeFileSync(path, sample ?? '');
  const config = loadConfig({ path, hostname: 'x' });
  t.equal(config.domain, 'node7.mesh');
  t.same(config.listen, ['10.1.2.3', 'fd00::7']);
});
