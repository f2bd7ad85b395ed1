import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { parseMessage } from '../../src/sip/parser.js';
import { serializeMessage } from '../../src/sip/serializer.js';
import { Headers } from '../../src/sip/headers.js';
import type { SipMessage } from '../../src/sip/message.js';

const dir = new URL('../fixtures/sip/', import.meta.url);
const valid = readdirSync(dir).filter((f) => f.startsWith('valid-') && f.endsWith('.sip'));

function startLine(m: SipMessage): string {
  return m.kind === 'request' ? `${m.method} ${m.uri}` : `${m.status} ${m.reason}`;
}

t.test('parse -> serialize -> parse keeps start line, fields and body', async (t) => {
  for (const file of valid) {
    const first = parseMessage(readFileSync(new URL(file, dir)));
    const wire = serializeMessage(first);
    const second = parseMessage(wire);
    t.equal(startLine(second), startLine(first), `${file}: start line`);
    t.same(second.body, first.body, `${file}: body`);
    const fields = (m: SipMessage) => m.headers.entries().filter((f) => !/^(content-length|l)$/i.test(f.name));
    t.same(fields(second), fields(first), `${file}: fields in order, names as written`);
    t.equal(second.headers.get('content-length'), String(first.body.length), `${file}: Content-Length`);
    t.same(serializeMessage(second), wire, `${file}: serialising again gives the same bytes`);
    const head = wire.subarray(0, wire.indexOf('\r\n\r\n')).toString('latin1');
    t.notMatch(head, /[^\r]\n/, `${file}: CRLF line ends only`);
  }
});

t.test('Content-Length is always written, correct, once, under its written name', async (t) => {
  const body = Buffer.from('héllo');
  const m: SipMessage = {
    kind: 'request',
    method: 'MESSAGE',
    uri: 'sip:a@node1.mesh',
    headers: new Headers([
      { name: 'Via', value: 'SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1' },
      { name: 'l', value: '99' },
      { name: 'To', value: '<sip:a@node1.mesh>' },
      { name: 'Content-Length', value: '3' },
    ]),
    body,
  };
  const text = serializeMessage(m).toString('utf8');
  t.equal(text, 'MESSAGE sip:a@node1.mesh SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nl: 6\r\nTo: <sip:a@node1.mesh>\r\n\r\nhéllo');
  const bare: SipMessage = { kind: 'response', status: 200, reason: 'OK', headers: new Headers(), body: Buffer.alloc(0) };
  t.equal(serializeMessage(bare).toString(), 'SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n');
});

t.test('a line break inside a stored value cannot forge a header field', async (t) => {
  const m: SipMessage = {
    kind: 'response',
    status: 486,
    reason: 'Busy\r\nX-Evil: 1',
    headers: new Headers([{ name: 'Subject', value: 'hi\r\nVia: SIP/2.0/UDP evil\n\tmore' }]),
    body: Buffer.alloc(0),
  };
  const text = serializeMessage(m).toString();
  t.equal(text, 'SIP/2.0 486 Busy X-Evil: 1\r\nSubject: hi Via: SIP/2.0/UDP evil more\r\nContent-Length: 0\r\n\r\n');
});
