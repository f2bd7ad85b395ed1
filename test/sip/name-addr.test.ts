import t from 'tap';
import { formatNameAddr, parseContact, parseNameAddr, tagOf, tagParam } from '../../src/sip/name-addr.js';
import { formatParams, parseParams, quote, unquote } from '../../src/sip/params.js';
import { SipParseError } from '../../src/sip/parse-error.js';

t.test('generic parameters: flags, tokens, quoted strings, whitespace', async (t) => {
  const p = parseParams(' ;Tag=abc ; lr ;  q = 0.5;+sip.instance="<urn:uuid:1;x>";text="a \\"b\\" c";received=2001:db8::1;tag=second');
  t.same([...p], [
    ['tag', 'abc'],
    ['lr', null],
    ['q', '0.5'],
    ['+sip.instance', '"<urn:uuid:1;x>"'],
    ['text', '"a \\"b\\" c"'],
    ['received', '2001:db8::1'],
  ], 'names lower-cased, values as written, the first of a repeated name kept');
  t.equal(unquote(p.get('text')!), 'a "b" c');
  t.equal(unquote('token'), 'token');
  t.equal(quote('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  t.equal(formatParams(p), ';tag=abc;lr;q=0.5;+sip.instance="<urn:uuid:1;x>";text="a \\"b\\" c";received=2001:db8::1');
  t.same([...parseParams('')], []);
  for (const bad of [';', ';;a', ';a=', ';a="open', 'junk', ';a=b c', ';a=b,c']) {
    t.throws(() => parseParams(bad), { code: 'BAD_PARAMS' }, JSON.stringify(bad));
  }
});

t.test('name-addr with quoted, unquoted and no display name', async (t) => {
  const a = parseNameAddr(' "Vila, Jordi \\"JV\\"" <sip:jordi@node2.mesh;transport=tcp>;tag=77 ');
  t.equal(a.displayName, 'Vila, Jordi "JV"');
  t.equal(a.uri.user, 'jordi');
  t.equal(a.uri.params.get('transport'), 'tcp', 'URI parameters stay in the URI');
  t.same([...a.params], [['tag', '77']]);
  t.equal(formatNameAddr(a), '"Vila, Jordi \\"JV\\"" <sip:jordi@node2.mesh;transport=tcp>;tag=77');

  const b = parseNameAddr('Anna   Serra<sip:anna@node3.mesh>');
  t.equal(b.displayName, 'Anna Serra');
  t.equal(formatNameAddr(b), '"Anna Serra" <sip:anna@node3.mesh>');

  const c = parseNameAddr('<sips:[2001:db8::2]:5061>');
  t.equal(c.displayName, undefined);
  t.equal(formatNameAddr(c), '<sips:[2001:db8::2]:5061>');

  const d = parseNameAddr('"" <sip:x@y>');
  t.equal(d.displayName, '');
  t.equal(formatNameAddr(d), '<sip:x@y>');
  t.equal(parseNameAddr('"\u00c0ngel" <tel:+3493>').displayName, 'Àngel');
  t.equal(parseNameAddr('Àngel Martí <sip:am@node1.mesh>').displayName, 'Àngel Martí', 'UTF-8 tolerated unquoted');
});

t.test('addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10)', async (t) => {
  const a = parseNameAddr('sip:bob@node1.mesh;tag=xyz;transport=udp');
  t.equal(a.uri.params.size, 0);
  t.same([...a.params], [['tag', 'xyz'], ['transport', 'udp']]);
  t.equal(formatNameAddr(a), '<sip:bob@node1.mesh>;tag=xyz;transport=udp', 'always written with <>');
  const b = parseNameAddr('sip:bob@node1.mesh;+sip.instance="<urn:uuid:9>"');
  t.equal(b.params.get('+sip.instance'), '"<urn:uuid:9>"', 'a < inside a quoted parameter is not a name-addr');
});

t.test('Contact: * or a name-addr', async (t) => {
  t.equal(parseContact(' * '), '*');
  const c = parseContact('<sip:u@10.0.0.1>;expires=0');
  t.not(c, '*');
  t.equal(c !== '*' && c.params.get('expires'), '0');
});

t.test('malformed name-addrs', async (t) => {
  const cases: [string, string, string][] = [
    ['"unterminated <sip:a@b>', 'BAD_NAME_ADDR', 'Unterminated quoted string'],
    ['"name" sip:a@b', 'BAD_NAME_ADDR', 'Missing < after display name'],
    ['Doe, John <sip:a@b>', 'BAD_NAME_ADDR', 'Bad display name'],
    ['<sip:a@b', 'BAD_NAME_ADDR', 'Missing >'],
    ['< sip:a@b >', 'BAD_URI', 'Bad URI scheme'],
    ['<sip:a@b>;;tag=1', 'BAD_NAME_ADDR', 'Empty parameter name'],
    ['<sip:a@b> junk', 'BAD_NAME_ADDR', 'Unexpected text in parameters'],
    ['sip:a@b?Subject=x', 'BAD_NAME_ADDR', 'URI with ? , or space must be in <>'],
    ['sip:a@b, sip:c@d', 'BAD_NAME_ADDR', 'URI with ? , or space must be in <>'],
    ['', 'BAD_URI', 'Bad URI scheme'],
    ['<http://a/b>', 'BAD_URI', 'Bad URI scheme'],
  ];
  for (const [text, code, reason] of cases) {
    try {
      parseNameAddr(text);
      t.fail(`${text} accepted`);
    } catch (e) {
      t.ok(e instanceof SipParseError, text);
      t.same([(e as SipParseError).code, (e as SipParseError).reason], [code, reason], text);
    }
  }
});

t.test('tagOf: the tag of a From or To value', async (t) => {
  t.equal(tagOf('"Alice" <sip:alice@node1.mesh>;tag=a73k'), 'a73k');
  t.equal(tagOf('<sip:bob@node1.mesh>'), undefined, 'no tag');
  t.equal(tagOf('<sip:bob@node1.mesh>;tag'), '', 'a tag written without a value');
  t.equal(tagOf('<sip:bob@node1.mesh'), undefined, 'unreadable');
  t.equal(tagOf(undefined), undefined, 'no header');
  t.equal(tagParam(parseNameAddr('<sip:bob@node1.mesh>;tag=x')), 'x');
});
