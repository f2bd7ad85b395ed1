import t from 'tap';
import { setup } from './register-fixture.js';
import { FakeFlow } from '../helpers/fake-flow.js';

const c1 = '<sip:alice@192.168.1.20:5062>';
const c2 = '<sip:alice@10.0.0.5:5060;transport=tcp>';
const c3 = '<sip:alice@10.0.0.6>';

t.test('several contacts; the 200 lists every binding with its expires, and a Date', async (t) => {
  const { registerAuthed, clock } = setup();
  let res = registerAuthed({ contacts: [c1, `${c2};expires=120`], expires: 300 });
  t.equal(res.status, 200);
  t.same(res.headers.getAll('contact').sort(), [
    '<sip:alice@10.0.0.5:5060;transport=tcp>;expires=120',
    '<sip:alice@192.168.1.20:5062>;expires=300',
  ]);
  t.equal(res.headers.get('date'), new Date(clock.now()).toUTCString());
  clock.advance(100_000);
  res = registerAuthed({ contacts: [] });
  t.same(res.headers.getAll('contact').sort(), [
    '<sip:alice@10.0.0.5:5060;transport=tcp>;expires=20',
    '<sip:alice@192.168.1.20:5062>;expires=200',
  ], 'no Contact: a fetch, remaining times');
});

t.test('expires: the parameter wins over the header; default; capped at max; q kept', async (t) => {
  const { registerAuthed, location } = setup();
  registerAuthed({ contacts: [`${c1};expires=90;q=0.5`], expires: 3000 });
  registerAuthed({ contacts: [c2] });
  registerAuthed({ contacts: [c3], expires: 99999 });
  const by = new Map(location.lookup('alice').map((b) => [b.contact, b]));
  const left = (c: string) => by.get(c)!.expiresAt - by.get(c)!.registeredAt;
  t.equal(left('sip:alice@192.168.1.20:5062'), 90_000);
  t.equal(by.get('sip:alice@192.168.1.20:5062')!.q, 0.5);
  t.equal(left('sip:alice@10.0.0.5:5060;transport=tcp'), 600_000, 'default_expires');
  t.equal(left('sip:alice@10.0.0.6'), 3_600_000, 'max_expires');
});

t.test('423 with Min-Expires below the minimum, but 0 removes', async (t) => {
  const { registerAuthed, location } = setup();
  const res = registerAuthed({ contacts: [c1], expires: 30 });
  t.equal(res.status, 423);
  t.equal(res.headers.get('min-expires'), '60');
  t.equal(location.lookup('alice').length, 0);
  registerAuthed({ contacts: [c1] });
  const removed = registerAuthed({ contacts: [`${c1};expires=0`], expires: 3600 });
  t.equal(removed.status, 200);
  t.same(removed.headers.getAll('contact'), []);
});

t.test('Contact: * removes all, only alone and with Expires: 0', async (t) => {
  const { registerAuthed, location, logs } = setup();
  registerAuthed({ contacts: [c1, c2] });
  t.equal(registerAuthed({ contacts: ['*'] }).status, 400, 'no Expires');
  t.equal(registerAuthed({ contacts: ['*'], expires: 10 }).reason, 'Contact * needs Expires: 0');
  t.equal(registerAuthed({ contacts: ['*', c1], expires: 0 }).reason, 'Contact * with other contacts');
  t.equal(location.lookup('alice').length, 2);
  const res = registerAuthed({ contacts: ['*'], expires: 0 });
  t.equal(res.status, 200);
  t.equal(location.lookup('alice').length, 0);
  t.match(logs.join('\n'), /info: unregister alice sip:alice@10\.0\.0\.5/);
});

t.test('malformed Contact, expires and q are refused with 400', async (t) => {
  const { registerAuthed } = setup();
  t.equal(registerAuthed({ contacts: ['<sip:alice@>'] }).reason, 'Bad Contact header');
  t.equal(registerAuthed({ contacts: [`${c1};expires=soon`] }).reason, 'Bad expires value');
  t.equal(registerAuthed({ contacts: [c1], expires: 'Thu, 01 Dec 1994 16:00:00 GMT' }).reason, 'Bad expires value');
  t.equal(registerAuthed({ contacts: [`${c1};q=2`] }).reason, 'Bad q value');
});

t.test('Call-ID/CSeq ordering (RFC 3261 §10.3 step 7)', async (t) => {
  const { registerAuthed, location } = setup();
  t.equal(registerAuthed({ contacts: [c1], callId: 'call-1', cseq: 10 }).status, 200);
  const stored = location.lookup('alice')[0]!;
  t.equal(stored.cseq, 11);
  const old = registerAuthed({ contacts: [c1], callId: 'call-1', cseq: 5, expires: 120 });
  t.equal(old.status, 500);
  t.equal(old.reason, 'Out of order request');
  t.equal(location.lookup('alice')[0]!.expiresAt, stored.expiresAt, 'nothing changed');
  const star = registerAuthed({ contacts: ['*'], expires: 0, callId: 'call-1', cseq: 3 });
  t.equal(star.status, 500, 'Contact * is held to the same rule');
  t.equal(registerAuthed({ contacts: [c1], callId: 'call-2', cseq: 1, expires: 120 }).status, 200, 'another Call-ID updates');
  t.equal(location.lookup('alice')[0]!.callId, 'call-2');
});

t.test('instance and reg-id: a new flow replaces the old one; Require: outbound', async (t) => {
  const { registerAuthed, location } = setup();
  const inst = '+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"';
  const first = registerAuthed({ contacts: [`<sip:alice@192.168.1.20:5062;ob>;${inst};reg-id=1`], extra: ['Supported: outbound, path'] });
  t.equal(first.headers.get('require'), 'outbound');
  t.match(first.headers.get('contact'), /;\+sip\.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1$/);
  const roamed = new FakeFlow({ remoteAddress: '198.51.100.20', remotePort: 1024 });
  registerAuthed({ via: roamed, contacts: [`<sip:alice@10.1.1.1:5062;ob>;${inst};reg-id=1`], callId: 'new-call' });
  let bindings = location.lookup('alice');
  t.equal(bindings.length, 1);
  t.equal(bindings[0]!.contact, 'sip:alice@10.1.1.1:5062;ob');
  t.same(bindings[0]!.flow, { transport: 'udp', remoteAddress: '198.51.100.20', remotePort: 1024 });
  t.equal(bindings[0]!.instance, '<urn:uuid:00000000-0000-1000-8000-000A95A0E128>');
  const second = registerAuthed({ contacts: [`<sip:alice@10.1.1.1:5062;ob>;${inst};reg-id=2`] });
  t.equal(second.headers.get('require'), undefined, 'no Supported: outbound, no Require');
  bindings = location.lookup('alice');
  t.equal(bindings.length, 2, 'another reg-id is another flow');
  const both = registerAuthed({ contacts: [`${c1};${inst};reg-id=3`, `${c2};${inst};reg-id=4`] });
  t.equal(both.reason, 'More than one Contact with reg-id');
});

t.test('max contacts: 503 for a new binding, refreshes still pass', async (t) => {
  const { registerAuthed, location, logs } = setup({ maxContacts: 2 });
  registerAuthed({ contacts: [c1, c2] });
  const res = registerAuthed({ contacts: [c3] });
  t.equal(res.status, 503);
  t.equal(res.reason, 'Too many registered contacts');
  t.match(logs.filter((l) => l.startsWith('warn')), [/^warn: alice has max_contacts \(2\) devices registered: another from udp 203\.0\.113\.7:40000 refused with 503$/], 'the limit that bit is logged');
  for (let i = 0; i < 20; i++) registerAuthed({ contacts: [c3] });
  t.equal(logs.filter((l) => l.startsWith('warn')).length, 10, 'at most ten such lines a minute');
  t.equal(location.lookup('alice').length, 2);
  t.equal(registerAuthed({ contacts: [c1], expires: 120 }).status, 200);
  t.equal(registerAuthed({ contacts: [`${c1};expires=0`, c3] }).status, 200, 'swap within the limit');
});

t.test('the binding records the flow it came on (NAT), refresh and unregister are logged', async (t) => {
  const { registerAuthed, location, flow, logs } = setup();
  registerAuthed({ contacts: [c1] });
  const b = location.lookup('alice')[0]!;
  t.equal(b.flowId, flow.id);
  t.same(b.flow, { transport: 'udp', remoteAddress: '203.0.113.7', remotePort: 40000 });
  t.equal(b.userAgent, 'fixture/1.0');
  registerAuthed({ contacts: [c1] });
  registerAuthed({ contacts: [c1], expires: 0 });
  const text = logs.join('\n');
  t.match(text, /info: register alice sip:alice@192\.168\.1\.20:5062 via udp 203\.0\.113\.7:40000 expires 600/);
  t.match(text, /info: refresh alice/);
  t.match(text, /info: unregister alice/);
});

t.test('unknown Require options are refused with 420', async (t) => {
  const { registerAuthed } = setup();
  const res = registerAuthed({ extra: ['Require: gruu, outbound'] });
  t.equal(res.status, 420);
  t.equal(res.headers.get('unsupported'), 'gruu');
});
