import t from 'tap';
import type { Binding } from '../../src/location/binding.js';
import { diesWithFlow } from '../../src/location/flow-bound.js';
import type { FlowAddress } from '../../src/sip/flow.js';

function binding(contact: string, extra: Partial<Binding> = {}): Binding {
  return {
    aor: 'bob',
    contact,
    expiresAt: 3_600_000,
    callId: 'reg-1',
    cseq: 1,
    flowId: 'tcp#1',
    flow: { transport: 'tcp', remoteAddress: '198.18.0.9', remotePort: 55874 },
    registeredAt: 0,
    ...extra,
  };
}

const TCP: FlowAddress = { transport: 'tcp', remoteAddress: '198.18.0.9', remotePort: 55874 };

t.test('a TCP Contact that is the connection\'s own remote end dies with it (Linphone puts its ephemeral port there)', async (t) => {
  t.ok(diesWithFlow(binding('sip:bob@198.18.0.9:55874;transport=tcp'), TCP));
  t.ok(diesWithFlow(binding('sip:bob@[::ffff:198.18.0.9]:55874;transport=tcp'), TCP), 'the same address, IPv4-mapped');
  const v6: FlowAddress = { transport: 'tcp', remoteAddress: '2001:db8::9', remotePort: 40000 };
  t.ok(diesWithFlow(binding('sip:bob@[2001:DB8:0::9]:40000;transport=tcp'), v6), 'IPv6 in another spelling');
});

t.test('a TCP Contact that names a listening address outlives its connection', async (t) => {
  t.notOk(diesWithFlow(binding('sip:bob@198.18.0.9:5060;transport=tcp'), TCP), 'another port');
  t.notOk(diesWithFlow(binding('sip:bob@198.18.0.9;transport=tcp'), TCP), 'no port: 5060 (§19.1.2)');
  t.notOk(diesWithFlow(binding('sip:bob@198.18.0.10:55874;transport=tcp'), TCP), 'another address');
  t.notOk(diesWithFlow(binding('not a uri'), TCP), 'a Contact that cannot be read is left alone');
});

t.test('RFC 5626 outbound and WebSocket bindings always die with their flow; UDP ones never', async (t) => {
  t.ok(diesWithFlow(binding('sip:bob@198.18.0.9:5060;transport=tcp', { instance: '<urn:uuid:1>', regId: 1 }), TCP));
  t.ok(diesWithFlow(binding('sip:bob@df7jal23ls0d.invalid;transport=ws'), { transport: 'wss', remoteAddress: '198.18.0.9', remotePort: 40000 }));
  t.notOk(diesWithFlow(binding('sip:bob@198.18.0.9:55874'), { transport: 'udp', remoteAddress: '198.18.0.9', remotePort: 55874 }));
});
