import { readFileSync } from 'node:fs';
import t from 'tap';
import { ConfigError } from '../../src/config/errors.js';
import { findSection, parseUci, serialiseUci, type UciFile, type UciValue } from '../../src/config/uci.js';

const fixture = (name: string) => new URL(`../fixtures/config/${name}`, import.meta.url);
const read = (name: string) => readFileSync(fixture(name), 'utf8');

/** The file without line numbers: what must survive a round trip. */
function shape(file: UciFile): unknown {
  return {
    package: file.package,
    sections: file.sections.map((s) => ({
      type: s.type,
      name: s.name,
      ref: s.ref,
      options: [...s.options].map(([k, v]) => [k, v.kind === 'option' ? v.value : v.values]),
    })),
  };
}

function option(file: UciFile, ref: string, name: string): UciValue | undefined {
  return findSection(file, ref)?.options.get(name);
}

t.test('tricky fixture: quoting, escapes, comments, multi-line values', async (t) => {
  const file = parseUci(read('tricky.uci'), 'tricky.uci');
  t.equal(file.package, 'trucada');
  const value = (name: string) => {
    const v = option(file, 'main', name);
    return v?.kind === 'option' ? v.value : v?.values;
  };
  t.equal(value('domain'), 'node7.mesh', 'tab separator and trailing comment');
  t.equal(value('plain'), 'word');
  t.equal(value('single'), "it's here", "'\\'' inside single quotes");
  t.equal(value('double'), 'say "hi" \\ backslash', 'backslash escapes inside double quotes');
  t.equal(value('concat'), 'onetwothree', 'adjacent parts join as in a shell');
  t.equal(value('hash'), 'a # not a comment');
  t.equal(value('cut'), 'abc', 'an unquoted # starts a comment as in libuci');
  t.equal(value('multi'), 'first line\nsecond line');
  t.equal(value('joined'), 'continued', 'backslash-newline joins lines');
  t.notOk(findSection(file, 'main')?.options.has('empty'), "option x '' means no option, as in uci");
  t.same(value('listen'), ['10.0.0.1', 'fe80::1%eth0', '::1']);
  t.same(value('converted'), ['first', 'second'], 'list after option turns it into a list');
});

t.test('line numbers follow multi-line values and joined lines', async (t) => {
  const file = parseUci(read('tricky.uci'));
  const main = findSection(file, 'main');
  t.equal(main?.line, 4);
  t.equal(main?.options.get('multi')?.line, 12);
  t.equal(main?.options.get('joined')?.line, 14);
  const listen = main?.options.get('listen');
  t.same(listen?.kind === 'list' ? listen.lines : undefined, [17, 18, 19]);
  const converted = main?.options.get('converted');
  t.same(converted?.kind === 'list' ? converted.lines : undefined, [36, 37]);
  t.equal(option(file, '@peer[2]', 'port')?.line, 28, 'statement after ; on the same line');
});

t.test('sections: anonymous addressing, repeated names, abbreviations', async (t) => {
  const file = parseUci(read('tricky.uci'));
  t.same(
    file.sections.map((s) => s.ref),
    ['main', '@peer[0]', 'named', '@peer[2]'],
    'a repeated name continues its section; the index counts named sections too',
  );
  t.equal(findSection(file, '@peer[1]')?.name, 'named');
  t.equal(findSection(file, '@peer[-1]')?.ref, '@peer[2]');
  t.equal(findSection(file, '@[0]')?.name, 'main');
  t.equal(findSection(file, '@peer[3]'), undefined);
  t.equal(findSection(file, 'nothing'), undefined);
  const named = findSection(file, 'named');
  t.same([...(named?.options.keys() ?? [])], ['host', 'extra', 'tags']);
  t.same(option(file, 'named', 'tags'), { kind: 'list', values: ['one', 'two'], line: 32, lines: [32, 33] });
  t.same(option(file, '@peer[2]', 'port'), { kind: 'option', value: '5061', line: 28 });
});

t.test('a later option replaces an earlier one or a list, and moves to the end', async (t) => {
  const file = parseUci("config x 's'\n\tlist a 1\n\tlist a 2\n\toption b 3\n\toption a 4\n\toption b ''\n");
  t.same([...(findSection(file, 's')?.options ?? [])], [['a', { kind: 'option', value: '4', line: 5 }]]);
  const bare = parseUci("config x ''\n\toption a 1\n\toption a\n\toption b c\\");
  t.same(shape(bare), { package: undefined, sections: [{ type: 'x', name: undefined, ref: '@x[0]', options: [['b', 'c']] }] });
});

t.test('CRLF line ends and blank or comment-only files', async (t) => {
  const file = parseUci("config x 's'\r\n\toption a 'b'\r\n\r\n\toption c d\r\n");
  t.same(shape(file), { package: undefined, sections: [{ type: 'x', name: 's', ref: 's', options: [['a', 'b'], ['c', 'd']] }] });
  t.same(parseUci('').sections, []);
  t.same(parseUci('\n  \t\n# only a comment\n').sections, []);
});

const errors: [string, number, RegExp][] = [
  ['unterminated-single.uci', 3, /unterminated single quote/],
  ['unterminated-double.uci', 4, /unterminated double quote/],
  ['junk-statement.uci', 3, /unknown statement 'setting'/],
  ['option-outside-section.uci', 3, /option outside a section/],
  ['too-many-words.uci', 2, /unexpected 'node\.mesh' after option/],
  ['section-type-clash.uci', 3, /section 'main' is already of type 'trucada' \(line 1\)/],
];
for (const [name, line, reason] of errors) {
  t.test(`syntax error in ${name} names line ${line}`, async (t) => {
    const err = t.throws(() => parseUci(read(name), `/etc/config/${name}`)) as ConfigError;
    t.type(err, ConfigError);
    t.equal(err.code, 'UCI_SYNTAX');
    t.equal(err.location.line, line);
    t.match(err.reason, reason);
    t.ok(err.message.startsWith(`/etc/config/${name}:${line}: `), err.message);
  });
}

t.test('more syntax errors', async (t) => {
  const cases: [string, number, RegExp][] = [
    ['config', 1, /config needs a section type/],
    ["config x 'bad-name'", 1, /invalid section name 'bad-name'/],
    ["config 'a b'", 1, /invalid section type 'a b'/],
    ['config x\n\toption', 2, /option needs a name/],
    ['config x\n\tlist sip-port 1', 2, /invalid list name 'sip-port'/],
    ['package', 1, /package needs a name/],
    ['config x\ntoString y', 2, /unknown statement 'toString'/],
    ['package a.b', 1, /invalid package name/],
    ['config x\n\toption a "b\\"', 2, /unterminated double quote/],
    ['config x\n\n\toption a b\0', 3, /NUL byte/],
  ];
  for (const [text, line, reason] of cases) {
    const err = t.throws(() => parseUci(text)) as ConfigError;
    const what = JSON.stringify(text);
    t.equal(err.code, 'UCI_SYNTAX', what);
    t.equal(err.location.line, line, what);
    t.match(err.reason, reason, what);
    t.equal(err.message, `line ${line}: ${err.reason}`);
  }
});

t.test('serialiser writes canonical UCI', async (t) => {
  const file = parseUci("package p\nconfig x 'a'\n  option v \"it's\"\n  list l 1; list l 2\nconfig y\nconfig x\n");
  t.equal(
    serialiseUci(file),
    "package p\n\nconfig x 'a'\n\toption v 'it'\\''s'\n\tlist l '1'\n\tlist l '2'\n\nconfig y\n\nconfig x\n",
  );
  t.equal(serialiseUci({ sections: [] }), '');
});

t.test('round trip of the tricky fixture', async (t) => {
  const once = parseUci(read('tricky.uci'));
  const text = serialiseUci(once);
  const twice = parseUci(text);
  t.same(shape(twice), shape(once));
  t.equal(serialiseUci(twice), text, 'serialising is stable');
});

t.test('round trip of values made of every awkward character', async (t) => {
  // A fixed-seed generator (high bits of an LCG), so a failure can be replayed.
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) >>> 12;
  const alphabet = ["'", '"', '\\', '#', ';', ' ', '\t', '\n', 'a', 'Z', '0', '@', '[', ']', '$', '`', '\u00e9', '\u{1F4DE}'];
  const word = () => Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join('');
  const models: UciFile[] = [];
  for (let round = 0; round < 300; round++) {
    const values = Array.from({ length: 1 + (next() % 3) }, word);
    const scalar = word() || 'x';
    models.push({
      package: 'p',
      sections: [
        { type: "odd'type#;", ref: "@odd'type#;[0]", line: 0, options: new Map([['o', { kind: 'option', value: scalar, line: 0 }]]) },
        { type: 't', name: 'n_1', ref: 'n_1', line: 0, options: new Map([['l', { kind: 'list', values, line: 0, lines: [] }]]) },
      ],
    });
  }
  t.ok(models.some((m) => serialiseUci(m).includes("\\\n")), 'the values include backslash-newline');
  t.same(
    models.map((m) => shape(parseUci(serialiseUci(m)))),
    models.map(shape),
  );
});

t.test('serialiser refuses what UCI cannot hold', async (t) => {
  const section = (over: object) => ({ type: 't', ref: 'x', line: 0, options: new Map<string, UciValue>(), ...over });
  const bad: UciFile[] = [
    { package: 'a b', sections: [] },
    { sections: [section({ type: 'has space' })] },
    { sections: [section({ name: 'bad-name' })] },
    { sections: [section({ name: 'twice' }), section({ name: 'twice' })] },
    { sections: [section({ options: new Map([['bad name', { kind: 'option', value: 'v', line: 0 }]]) })] },
  ];
  for (const file of bad) {
    const err = t.throws(() => serialiseUci(file)) as ConfigError;
    t.equal(err.code, 'UCI_INVALID');
  }
});
