import t from 'tap';
import { silentLogger } from '../../src/log.js';
import type { Binding, BindingEvent } from '../../src/location/binding.js';
import { Location } from '../../src/location/location.js';
import { FakeClock } from '../helpers/fake-clock.js';

function binding(clock: FakeClock, o: Partial<Binding> = {}): Binding {
  return {
    aor: 'alice',
    contact: 'sip:alice@192.168.1.20:5062',
    expiresAt: clock.now() + 60_000,
    callId: 'c1',
    cseq: 1,
    flowId: 'udp:203.0.113.7:40000',
    flow: { transport: 'udp', remoteAddress: '203.0.113.7', remotePort: 40000 },
    registeredAt: clock.now(),
    ...o,
  };
}

function setup() {
  const clock = new FakeClock();
  const location = new Location({ clock, logger: silentLogger });
  const events: string[] = [];
  location.onChange((e: BindingEvent) => events.push(`${e.type} ${e.binding.aor} ${e.binding.contact}`));
  return { clock, location, events };
}

t.test('save adds, then refreshes the same contact (URI equality of §19.1.4)', async (t) => {
  const { clock, location, events } = setup();
  t.equal(location.save(binding(clock)), 'added');
  t.equal(location.save(binding(clock, { contact: 'SIP:alice@192.168.1.20:5062', cseq: 2 })), 'refreshed');
  t.equal(location.lookup('alice').length, 1);
  t.equal(location.lookup('alice')[0]!.cseq, 2);
  t.equal(location.save(binding(clock, { contact: 'sip:alice@10.0.0.1' })), 'added');
  t.equal(location.all().length, 2);
  t.same(events, ['added alice sip:alice@192.168.1.20:5062', 'refreshed alice SIP:alice@192.168.1.20:5062', 'added alice sip:alice@10.0.0.1']);
});

t.test('lookup orders by q, then newest', async (t) => {
  const { clock, location } = setup();
  location.save(binding(clock, { contact: 'sip:a@h1', q: 0.5 }));
  clock.advance(10);
  location.save(binding(clock, { contact: 'sip:a@h2' }));
  clock.advance(10);
  location.save(binding(clock, { contact: 'sip:a@h3', q: 1 }));
  t.same(location.lookup('alice').map((b) => b.contact), ['sip:a@h3', 'sip:a@h2', 'sip:a@h1']);
  t.same(location.lookup('nobody'), []);
});

t.test('bindings expire on the clock, with events', async (t) => {
  const { clock, location, events } = setup();
  location.save(binding(clock, { contact: 'sip:a@short', expiresAt: clock.now() + 1000 }));
  location.save(binding(clock, { contact: 'sip:a@long', expiresAt: clock.now() + 5000 }));
  location.save(binding(clock, { aor: 'bob', contact: 'sip:b@x', expiresAt: clock.now() + 3000 }));
  t.equal(clock.pending, 1, 'one timer');
  clock.advance(999);
  t.equal(location.all().length, 3);
  clock.advance(1);
  t.same(location.lookup('alice').map((b) => b.contact), ['sip:a@long']);
  clock.advance(2000);
  t.same(location.lookup('bob'), []);
  clock.advance(2000);
  t.same(location.all(), []);
  t.same(events.slice(3), ['expired alice sip:a@short', 'expired bob sip:b@x', 'expired alice sip:a@long']);
  t.equal(clock.pending, 0, 'no timer left when empty');
});

t.test('a refresh pushes expiry back', async (t) => {
  const { clock, location } = setup();
  location.save(binding(clock, { expiresAt: clock.now() + 1000 }));
  clock.advance(500);
  location.save(binding(clock, { expiresAt: clock.now() + 1000 }));
  clock.advance(900);
  t.equal(location.lookup('alice').length, 1);
  clock.advance(100);
  t.equal(location.lookup('alice').length, 0);
});

t.test('remove, removeUser, removeFlow', async (t) => {
  const { clock, location, events } = setup();
  location.save(binding(clock, { contact: 'sip:a@udp' }));
  location.save(binding(clock, { contact: 'sip:a@ws.invalid;transport=ws', flowId: 'ws#3', flow: { transport: 'wss', remoteAddress: '198.51.100.1', remotePort: 50000 } }));
  location.save(binding(clock, { aor: 'bob', contact: 'sip:b@ws.invalid;transport=ws', flowId: 'ws#3' }));
  location.save(binding(clock, { aor: 'bob', contact: 'sip:b@udp' }));
  t.same(location.removeFlow('ws#3').map((b) => b.aor).sort(), ['alice', 'bob']);
  t.same(location.all().map((b) => b.contact).sort(), ['sip:a@udp', 'sip:b@udp']);
  t.equal(location.remove('alice', 'sip:a@UDP')?.contact, 'sip:a@udp');
  t.equal(location.remove('alice', 'sip:a@udp'), undefined);
  t.equal(location.removeUser('bob').length, 1);
  t.same(location.all(), []);
  t.equal(events.filter((e) => e.startsWith('removed')).length, 4);
  t.equal(clock.pending, 0);
});

t.test('instance + reg-id identify the binding whatever the contact', async (t) => {
  const { clock, location } = setup();
  const inst = '<urn:uuid:1>';
  location.save(binding(clock, { contact: 'sip:a@h1', instance: inst, regId: 1 }));
  t.equal(location.save(binding(clock, { contact: 'sip:a@h2', instance: inst, regId: 1 })), 'refreshed');
  t.equal(location.save(binding(clock, { contact: 'sip:a@h2', instance: inst, regId: 2 })), 'added');
  t.ok(location.remove('alice', { contact: 'sip:a@other', instance: inst, regId: 1 }));
  t.same(location.lookup('alice').map((b) => b.regId), [2]);
});

t.test('a throwing listener does not break the others', async (t) => {
  const clock = new FakeClock();
  const logs: string[] = [];
  const location = new Location({ clock, logger: { ...silentLogger, error: (m) => logs.push(m) } });
  const seen: string[] = [];
  location.onChange(() => {
    throw new Error('boom');
  });
  const off = location.onChange((e) => seen.push(e.type));
  location.save(binding(clock));
  off();
  location.removeUser('alice');
  t.same(seen, ['added']);
  t.match(logs[0], /location listener failed on added alice: boom/);
  location.close();
});
