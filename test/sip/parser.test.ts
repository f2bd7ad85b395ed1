import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { parseMessage } from '../../src/sip/parser.js';
import { SipParseError } from '../../src/sip/parse-error.js';
import { DEFAULT_LIMITS } from '../../src/sip/limits.js';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message.js';
import { parseVia } from '../../src/sip/via.js';
import { parseNameAddr, parseContact, type NameAddr } from '../../src/sip/name-addr.js';
import { parseUri } from '../../src/sip/uri.js';
import { parseCSeq } from '../../src/sip/cseq.js';
import { createResponse } from '../../src/sip/response.js';

const dir = new URL('../fixtures/sip/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(`${name}.sip`, dir));
const names = readdirSync(dir).filter((f) => f.endsWith('.sip')).map((f) => f.slice(0, -4));

function req(m: SipMessage): SipRequest {
  if (m.kind !== 'request') throw new Error('not a request');
  return m;
}
function res(m: SipMessage): SipResponse {
  if (m.kind !== 'response') throw new Error('not a response');
  return m;
}
function caught(fn: () => unknown): SipParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SipParseError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

/** Fixture name -> [code, reason, whether a partial message is expected]. */
const INVALID: Record<string, [string, string, boolean]> = {
  'invalid-addr-spec-question': ['BAD_TO', 'Bad To header', true],
  'invalid-addr-spec-spaces': ['BAD_TO', 'Bad To header', true],
  'invalid-call-id-space': ['BAD_CALL_ID', 'Bad Call-ID header', true],
  'invalid-conflicting-content-length': ['BAD_CONTENT_LENGTH', 'Bad Content-Length header', true],
  'invalid-content-length-larger': ['BODY_TOO_SHORT', 'Body shorter than Content-Length', true],
  'invalid-control-char': ['BAD_CHARACTER', 'Control character in headers', false],
  'invalid-cseq-mismatch': ['CSEQ_MISMATCH', 'CSeq method does not match request method', true],
  'invalid-cseq-not-numeric': ['BAD_CSEQ', 'Bad CSeq header', true],
  'invalid-cseq-overlarge': ['BAD_CSEQ', 'Bad CSeq header', true],
  'invalid-display-name-comma': ['BAD_FROM', 'Bad From header', true],
  'invalid-empty': ['EMPTY', 'Empty message', false],
  'invalid-folded-start-line': ['BAD_HEADER', 'Continuation line before first header', false],
  'invalid-header-no-colon': ['BAD_HEADER', 'Bad header line', false],
  'invalid-header-space-in-name': ['BAD_HEADER', 'Bad header line', false],
  'invalid-max-forwards-300': ['BAD_MAX_FORWARDS', 'Bad Max-Forwards header', true],
  'invalid-method': ['BAD_METHOD', 'Bad method', true],
  'invalid-missing-call-id': ['MISSING_HEADER', 'Missing Call-ID header', true],
  'invalid-missing-via': ['MISSING_HEADER', 'Missing Via header', true],
  'invalid-negative-content-length': ['BAD_CONTENT_LENGTH', 'Bad Content-Length header', true],
  'invalid-no-empty-line': ['NO_HEADER_END', 'Missing empty line after headers', false],
  'invalid-nul-byte': ['BAD_CHARACTER', 'NUL byte in headers', false],
  'invalid-request-line-double-space': ['BAD_START_LINE', 'Bad request line', false],
  'invalid-request-line-trailing-space': ['BAD_START_LINE', 'Bad request line', false],
  'invalid-response-missing-cseq': ['MISSING_HEADER', 'Missing CSeq header', true],
  'invalid-response-version': ['BAD_VERSION', 'Version not supported', false],
  'invalid-ruri-bad-escape': ['BAD_URI', 'Bad Request-URI', true],
  'invalid-ruri-embedded-lws': ['BAD_START_LINE', 'Bad request line', false],
  'invalid-ruri-in-angle-brackets': ['BAD_URI', 'Bad Request-URI', true],
  'invalid-ruri-port': ['BAD_URI', 'Bad Request-URI', true],
  'invalid-ruri-with-headers': ['BAD_URI', 'Bad Request-URI', true],
  'invalid-status-overlarge': ['BAD_STATUS', 'Bad status code', false],
  'invalid-status-too-small': ['BAD_STATUS', 'Bad status code', false],
  'invalid-too-many-headers': ['TOO_MANY_HEADERS', 'Too many headers', false],
  'invalid-unknown-method-mismatch': ['CSEQ_MISMATCH', 'CSeq method does not match request method', true],
  'invalid-unterminated-quote': ['BAD_TO', 'Bad To header', true],
  'invalid-utf8': ['BAD_CHARACTER', 'Invalid UTF-8 in headers', false],
  'invalid-version': ['BAD_VERSION', 'Version not supported', true],
  'invalid-via-empty-param': ['BAD_VIA', 'Bad Via header', true],
  'invalid-via-no-host': ['BAD_VIA', 'Bad Via header', true],
};

t.test('every invalid fixture is refused with its exact reason', async (t) => {
  t.same(names.filter((n) => n.startsWith('invalid-')).sort(), Object.keys(INVALID).sort(), 'table covers the fixtures');
  for (const [name, [code, reason, partial]] of Object.entries(INVALID)) {
    const e = caught(() => parseMessage(fixture(name)));
    t.equal(e.code, code, `${name}: code`);
    t.equal(e.reason, reason, `${name}: reason`);
    t.equal(e.partial !== undefined, partial, `${name}: partial`);
  }
});

t.test('every valid fixture parses, also with bare LF line ends', async (t) => {
  for (const name of names.filter((n) => n.startsWith('valid-'))) {
    const data = fixture(name);
    const m = parseMessage(data);
    // Replace CRLF by LF in the head only, so the body and its Content-Length stay as they are.
    const lead = data.length - data.toString('latin1').replace(/^[\r\n]+/, '').length;
    const headEnd = data.indexOf('\r\n\r\n', lead) + 4;
    const lf = Buffer.concat([Buffer.from(data.subarray(0, headEnd).toString('latin1').replace(/\r\n/g, '\n'), 'latin1'), data.subarray(headEnd)]);
    const m2 = parseMessage(lf);
    t.same(m2.headers.entries(), m.headers.entries(), `${name}: same headers with LF`);
    t.same(m2.body, m.body, `${name}: same body with LF`);
  }
});

t.test('a tortuous INVITE: folding, compact and odd-case names, odd whitespace, unknown headers', async (t) => {
  const m = req(parseMessage(fixture('valid-tortuous-invite')));
  t.equal(m.method, 'INVITE');
  t.equal(m.uri, 'sip:marta@node7.mesh;transport=udp;x-Odd_Param');
  const to = parseNameAddr(m.headers.get('to')!);
  t.equal(to.displayName, 'Marta  Puig');
  t.equal(to.params.get('x-tag'), 'abc');
  const from = parseNameAddr(m.headers.get('From')!);
  t.equal(from.displayName, 'Jordi "el fuster" Vila');
  t.equal(from.params.get('tag'), '9f3c');
  t.equal(m.headers.get('max-forwards'), '0069');
  t.equal(m.headers.get('call-id'), 'a84b4c76e66710@pc33.node2.mesh');
  t.same(parseCSeq(m.headers.get('cseq')!), { seq: 9, method: 'INVITE' });
  const vias = m.headers.getAll('via').map(parseVia);
  t.same(vias.map((v) => [v.transport, v.host, v.port]), [['UDP', '10.12.0.2', undefined], ['TCP', '10.12.0.3', 5062], ['UDP', '[2001:db8::3]', undefined]]);
  t.equal(vias[0]!.params.get('rport'), null);
  t.equal(vias[1]!.params.get('received'), '10.12.0.30');
  t.equal(m.headers.get('NewFangledHeader'), 'newfangled value continued newfangled value');
  t.equal(m.headers.get('UnknownHeaderWithUnusualValue'), ';;,,;;,;');
  t.equal(m.headers.get('subject'), '');
  t.same(m.headers.getAll('supported'), ['timer', 'path']);
  t.equal(m.headers.entries().find((f) => f.name === 'i')?.value, 'a84b4c76e66710@pc33.node2.mesh', 'compact name kept as written');
  t.equal(m.body.toString().split('\r\n')[0], 'v=0');
  t.equal(m.body.length, Number(m.headers.get('content-length')));
});

t.test('escaped URIs and % that is not an escape', async (t) => {
  const m = req(parseMessage(fixture('valid-escaped-uris')));
  const uri = parseUri(m.uri);
  t.equal(uri.user, 'sip:user@example.net');
  t.equal(uri.params.get('x-p'), 'a b');
  t.equal(parseNameAddr(m.headers.get('to')!).uri.user, 'anna');
  t.equal(parseNameAddr(m.headers.get('from')!).uri.user, 'null-\0-byte');
  const p = req(parseMessage(fixture('valid-percent-method')));
  t.equal(p.method, 'RE%53ISTER');
  t.equal(parseNameAddr(p.headers.get('to')!).displayName, '%Z%45');
});

t.test('IPv6 references in the Request-URI, Via and Contact', async (t) => {
  const m = req(parseMessage(fixture('valid-ipv6')));
  const uri = parseUri(m.uri);
  t.same([uri.host, uri.port], ['[2001:db8::10]', 5070]);
  t.equal(parseNameAddr(m.headers.get('from')!).uri.host, '[2001:db8::10]', 'host lower-cased');
  const via = parseVia(m.headers.get('via')!);
  t.same([via.host, via.port, via.params.get('received'), via.params.get('rport')], ['[2001:db8::9]', 5060, '2001:db8::9', '5060']);
  const contact = parseContact(m.headers.get('contact')!) as NameAddr;
  t.same([contact.uri.host, contact.uri.port, contact.params.get('expires')], ['[2001:db8::9]', 5060, '600']);
});

t.test('user part with semicolons, and an addr-spec To', async (t) => {
  const m = req(parseMessage(fixture('valid-semicolon-user')));
  const uri = parseUri(m.uri);
  t.same([uri.user, uri.host, uri.params.size], ['user;par=u@example.net', 'node4.mesh', 0]);
});

t.test('transports of every kind, upper-cased', async (t) => {
  const m = parseMessage(fixture('valid-transports'));
  t.same(m.headers.getAll('via').map((v) => parseVia(v).transport), ['SCTP', 'TLS', 'WSS', 'UNKNOWN', 'WS']);
  t.equal(parseVia(m.headers.getAll('via')[4]!).protocol, 'SIP/2.0');
});

t.test('several Contacts on one line and on compact lines', async (t) => {
  const m = parseMessage(fixture('valid-multi-contact'));
  const contacts = m.headers.getAll('contact').map((c) => parseContact(c) as NameAddr);
  t.equal(contacts.length, 3);
  t.same([contacts[0]!.displayName, contacts[0]!.params.get('q'), contacts[0]!.params.get('expires')], ['Doe, Jane', '0.9', '120']);
  t.equal(contacts[1]!.params.get('+sip.instance'), '"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"');
  t.equal(contacts[1]!.uri.params.get('transport'), 'ws');
  t.same([contacts[2]!.uri.params.size, contacts[2]!.params.get('expires')], [0, '60'], 'addr-spec params belong to the header');
});

t.test('responses: empty and unusual reason phrases, lists of Via and Record-Route', async (t) => {
  t.equal(res(parseMessage(fixture('valid-response-empty-reason'))).reason, '');
  const odd = res(parseMessage(fixture('valid-response-unusual-reason')));
  t.same([odd.status, odd.reason], [200, '= 2**3 * 5**2 très bien — 多謝']);
  const ok = res(parseMessage(fixture('valid-response-200')));
  t.equal(ok.headers.getAll('via').length, 3);
  t.equal(ok.headers.getAll('record-route').length, 2);
  t.equal(ok.body.length, 151);
});

t.test('datagram bodies: cut to Content-Length, or the rest without one (RFC 3261 §18.3)', async (t) => {
  const extra = parseMessage(fixture('valid-extra-octets'));
  t.equal(extra.body.length, 0);
  const noLength = parseMessage(fixture('valid-no-content-length'));
  t.equal(noLength.body.toString(), 'Hola, Ana! Ens veiem a les 8.\r\n');
  t.equal(parseMessage(fixture('valid-multipart')).body.toString().split('\r\n')[0], '--boundary42');
});

t.test('RFC 4475 §3.1.1.3 (intmeth): quoted-pairs may escape BEL, NUL and DEL; bare ones stay refused', async (t) => {
  const m = req(parseMessage(fixture('valid-rfc4475-intmeth')));
  t.equal(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
  t.equal(parseNameAddr(m.headers.get('to')!).displayName, 'BEL:\x07 NUL:\x00 DEL:\x7f');
  t.equal(m.headers.get('call-id'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
  t.equal(m.headers.get('max-forwards'), '255');
  const text = fixture('valid-rfc4475-intmeth').toString('latin1');
  for (const [what, bytes] of [['outside quotes', text.replace('Max-Forwards: 255', 'Max-Forwards: 2\x0755')], ['quoted but not escaped', text.replace('BEL:\\\x07', 'BEL:\x07')], ['an escaped CR', text.replace('NUL:\\\x00', 'NUL:\\\r')]] as const) {
    t.throws(() => parseMessage(Buffer.from(bytes, 'latin1')), { code: /BAD_CHARACTER|BAD_HEADER|NO_HEADER_END|BAD_TO/ }, `a control octet ${what} is refused`);
  }
});

t.test('wide range of token characters, quoted-pairs and UTF-8', async (t) => {
  const m = req(parseMessage(fixture('valid-token-method')));
  t.equal(m.method, "!odd-Method0123456789_*+`.%'~");
  const uri = parseUri(m.uri);
  t.same([uri.user, uri.password], ["o'dd.(user)!~*&=+$,;?/", 'p&a=s+s$,']);
  t.equal(parseNameAddr(m.headers.get('to')!).displayName, 'esc "q" \\ backslash');
  const from = parseNameAddr(m.headers.get('from')!);
  t.equal(from.displayName, "token1~` token2'+_ token3*%!.-");
  t.equal(from.params.get("fromparam''~+*_!.-%"), '"работающий"');
  t.equal(m.headers.get("extensionHeader-!.%*+_`'~"), '\ufeff大停電');
  t.equal(m.headers.get('call-id'), 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{');
});

t.test('other valid shapes', async (t) => {
  t.equal(req(parseMessage(fixture('valid-leading-crlf'))).method, 'OPTIONS');
  t.equal(parseUri(req(parseMessage(fixture('valid-tel-uri'))).uri).user, '+34-93-555-0100');
  t.equal(parseNameAddr(parseMessage(fixture('valid-lws-display')).headers.get('from')!).displayName, 'caller');
  t.equal(parseNameAddr(parseMessage(fixture('valid-lws-display')).headers.get('to')!).displayName, 'callee');
  t.equal(req(parseMessage(fixture('valid-other-scheme-ruri'))).uri, 'im:bea@node2.mesh');
  const long = parseMessage(fixture('valid-long-values'));
  t.equal(long.headers.getAll('via').length, 20);
  t.equal(parseNameAddr(long.headers.get('to')!).displayName!.length, 1000);
});

t.test('limits are checked before the work they bound', async (t) => {
  const ok = fixture('valid-escaped-uris');
  let e = caught(() => parseMessage(Buffer.concat([ok, Buffer.alloc(DEFAULT_LIMITS.maxMessageSize)])));
  t.same([e.code, e.reason, e.status, e.partial], ['TOO_LARGE', 'Message too large', 513, undefined]);
  e = caught(() => parseMessage(ok, { ...DEFAULT_LIMITS, maxHeaders: 6 }));
  t.same([e.code, e.reason], ['TOO_MANY_HEADERS', 'Too many headers']);
  t.ok(parseMessage(ok, { ...DEFAULT_LIMITS, maxHeaders: 7 }), 'exactly the limit passes');
  const limits = { maxMessageSize: 4000, maxHeaders: 8, maxLineLength: 60 };
  const line = (n: number) => Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX-Pad: ${'p'.repeat(n - 7)}\r\n\r\n`);
  e = caught(() => parseMessage(line(61), limits));
  t.same([e.code, e.reason], ['LINE_TOO_LONG', 'Header line too long']);
  t.equal(caught(() => parseMessage(line(60), limits)).code, 'MISSING_HEADER', 'a line of exactly the limit passes');
  t.equal(caught(() => parseMessage(Buffer.from(`OPTIONS sip:a@b SIP/2.0\r\nX: ${'z'.repeat(9000)}`))).code, 'LINE_TOO_LONG', 'no line end needed to refuse');
  const folded = `OPTIONS sip:a@b SIP/2.0\r\nX: ${'f'.repeat(40)}\r\n ${'g'.repeat(40)}\r\n\r\n`;
  t.equal(caught(() => parseMessage(Buffer.from(folded), limits)).code, 'LINE_TOO_LONG', 'unfolded field counted whole');
});

t.test('error statuses, and a partial message answered with a routable 400', async (t) => {
  const version = caught(() => parseMessage(fixture('invalid-version')));
  t.equal(version.status, 505);
  const e = caught(() => parseMessage(fixture('invalid-cseq-not-numeric')));
  t.equal(e.status, 400);
  const partial = req(e.partial!);
  t.equal(partial.method, 'OPTIONS');
  const reply = createResponse(partial, e.status, e.reason);
  t.same([reply.status, reply.reason], [400, 'Bad CSeq header']);
  t.equal(reply.headers.get('via'), 'SIP/2.0/UDP 10.9.0.1;branch=z9hG4bKbad');
  t.match(reply.headers.get('to'), /^<sip:to@node9\.mesh>;tag=\w+$/);
});

t.test('a response needs the fields it is matched by; requests need Via, From, To, Call-ID, CSeq', async (t) => {
  const base = fixture('valid-escaped-uris').toString();
  for (const name of ['Via', 'From', 'To', 'CSeq']) {
    const without = base.replace(new RegExp(`^${name}:.*\\r\\n`, 'm'), '');
    t.equal(caught(() => parseMessage(Buffer.from(without))).reason, `Missing ${name} header`);
  }
});
