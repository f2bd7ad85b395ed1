import t from 'tap';
import { bareHost, formatUri, isAbsoluteUri, parseUri, uriEquals, type SipUri } from '../../src/sip/uri.js';
import { SipParseError } from '../../src/sip/parse-error.js';

t.test('parts of a full SIP URI', async (t) => {
  const u = parseUri('SIPS:Al%69ce:s%65cret@Node1.MESH:5061;Transport=TLS;lr;x=%41?Subject=hi%20there&Priority=urgent');
  t.equal(u.scheme, 'sips');
  t.equal(u.user, 'Alice', 'user unescaped, case kept');
  t.equal(u.password, 'secret');
  t.equal(u.host, 'node1.mesh', 'host lower-cased');
  t.equal(u.port, 5061);
  t.same([...u.params], [['transport', 'TLS'], ['lr', null], ['x', 'A']]);
  t.same([...u.headers], [['Subject', 'hi there'], ['Priority', 'urgent']]);
  t.equal(formatUri(u), 'sips:Alice:secret@node1.mesh:5061;transport=TLS;lr;x=A?Subject=hi%20there&Priority=urgent');
});

t.test('escaping on format follows RFC 3261 §19.1.2', async (t) => {
  const u: SipUri = {
    ...parseUri('sip:node1.mesh'),
    user: 'jo an@x;y?z/é\0',
    password: 'p:w;',
    params: new Map([['maddr', 'a b']]),
    headers: new Map([['Call-ID', 'x@y']]),
  };
  const text = formatUri(u);
  t.equal(text, 'sip:jo%20an%40x;y?z/%C3%A9%00:p%3Aw%3B@node1.mesh;maddr=a%20b?Call-ID=x%40y');
  const back = parseUri(text);
  t.same([back.user, back.password, back.params.get('maddr'), back.headers.get('Call-ID')], [u.user, u.password, 'a b', 'x@y']);
  t.equal(formatUri(parseUri('sip:%7e%2a@h')), 'sip:~*@h', 'unreserved characters need no escape');
});

t.test('IPv6 references', async (t) => {
  const u = parseUri('sip:bob@[2001:DB8::1]:5070;transport=tcp');
  t.same([u.host, u.port, bareHost(u.host)], ['[2001:db8::1]', 5070, '2001:db8::1']);
  t.equal(formatUri(u), 'sip:bob@[2001:db8::1]:5070;transport=tcp');
  t.equal(formatUri({ ...u, host: '::1', port: undefined }), 'sip:bob@[::1];transport=tcp', 'brackets added when missing');
  t.equal(parseUri('sip:[::ffff:192.0.2.1]').host, '[::ffff:192.0.2.1]');
  t.equal(bareHost('node1.mesh'), 'node1.mesh');
});

t.test('tel URIs', async (t) => {
  const u = parseUri('TEL:+34-93-555-0100;Ext=12');
  t.same([u.scheme, u.user, u.host, u.params.get('ext')], ['tel', '+34-93-555-0100', '', '12']);
  t.equal(formatUri(u), 'tel:+34-93-555-0100;ext=12');
  t.equal(parseUri('tel:*21#;phone-context=node1.mesh').user, '*21#');
});

t.test('malformed URIs throw BAD_URI with a precise reason', async (t) => {
  const cases: [string, string][] = [
    ['http://example.com/', 'Bad URI scheme'],
    ['node1.mesh', 'Bad URI scheme'],
    ['sip:', 'Bad URI host'],
    ['sip:@node1.mesh', 'Bad URI user'],
    ['sip:a b@node1.mesh', 'Bad URI user'],
    ['sip:a@node 1.mesh', 'Bad URI host'],
    ['sip:a@-node', 'Bad URI host'],
    ['sip:a@[2001:db8::zz]', 'Bad URI host'],
    ['sip:a@[2001:db8::1', 'Bad URI host'],
    ['sip:a@node1.mesh:', 'Bad URI port'],
    ['sip:a@node1.mesh:65536', 'Bad URI port'],
    ['sip:a@node1.mesh:5o60', 'Bad URI port'],
    ['sip:a%2@node1.mesh', 'Bad URI escape'],
    ['sip:a%FF@node1.mesh', 'Bad URI escape'],
    ['sip:a@node1.mesh;;lr', 'Bad URI parameter'],
    ['sip:a@node1.mesh;x=', 'Bad URI parameter'],
    ['sip:a@node1.mesh;x=<y>', 'Bad URI parameter'],
    ['sip:a@node1.mesh?=v', 'Bad URI header'],
    ['sip:a@node1.mesh?novalue', 'Bad URI header'],
    ['tel:', 'Bad tel number'],
    ['tel:call-me', 'Bad tel number'],
    [' sip:a@node1.mesh', 'Bad URI scheme'],
    ['sip:a@node1.mesh ', 'Bad URI host'],
  ];
  for (const [text, reason] of cases) {
    try {
      parseUri(text);
      t.fail(`${text} accepted`);
    } catch (e) {
      t.ok(e instanceof SipParseError && e.code === 'BAD_URI' && e.reason === reason, `${text}: ${(e as Error).message}`);
    }
  }
});

t.test('URI comparison of RFC 3261 §19.1.4', async (t) => {
  const eq = (a: string, b: string) => uriEquals(parseUri(a), parseUri(b));
  t.ok(eq('sip:%61lice@node1.mesh;transport=TCP', 'sip:alice@NODE1.mesh;Transport=tcp'));
  t.ok(eq('sip:carol@node2.mesh', 'sip:carol@node2.mesh;security=on'), 'other params in one only are ignored');
  t.ok(eq('sip:bob@h;a=1;b=2?X=1&Y=2', 'sip:bob@h;b=2;a=1?y=2&x=1'), 'order of params and headers is free');
  t.notOk(eq('sip:Alice@node1.mesh', 'sip:alice@node1.mesh'), 'user is case-sensitive');
  t.notOk(eq('sip:bob@node1.mesh', 'sip:bob@node1.mesh:5060'), 'an explicit default port differs');
  t.notOk(eq('sip:bob@node1.mesh', 'sips:bob@node1.mesh'));
  t.notOk(eq('sip:bob@node1.mesh', 'sip:node1.mesh'), 'a user in one only differs');
  t.notOk(eq('sip:bob@h;user=phone', 'sip:bob@h'), 'user param in one only differs');
  t.notOk(eq('sip:bob@h;maddr=1.2.3.4', 'sip:bob@h'), 'maddr in one only differs');
  t.notOk(eq('sip:bob@h;transport=udp', 'sip:bob@h;transport=tcp'), 'a param in both must match');
  t.notOk(eq('sip:bob@h?Subject=a', 'sip:bob@h'), 'headers are never ignored');
  t.notOk(eq('sip:bob@h?Subject=a', 'sip:bob@h?Subject=b'));
});

t.test('absolute URIs of other schemes', async (t) => {
  t.ok(isAbsoluteUri('im:bea@node2.mesh'));
  t.ok(isAbsoluteUri('urn:service:sos'));
  t.notOk(isAbsoluteUri('<sip:a@b>'));
  t.notOk(isAbsoluteUri('1x:foo'));
  t.notOk(isAbsoluteUri('mailto:'));
  t.notOk(isAbsoluteUri('mailto:a b'));
});
