import t from 'tap';
import type { Binding } from '../../src/location/binding.js';
import { bindingFlow } from '../../src/proxy/next-hop.js';
import { FakeFlows } from './proxy-fixture.js';

function binding(flows: FakeFlows, o: { transport: 'udp' | 'tcp'; contact: string; port: number }) {
  const flow = flows.add({ transport: o.transport, remoteAddress: '198.18.0.7', remotePort: o.port, ...(o.transport === 'tcp' ? { id: 'tcp#1' } : {}) });
  const b: Binding = {
    aor: 'bob',
    contact: o.contact,
    expiresAt: 0,
    callId: 'c',
    cseq: 1,
    flowId: flow.id,
    flow: { transport: flow.transport, remoteAddress: flow.remoteAddress, remotePort: flow.remotePort },
    registeredAt: 0,
  };
  return { flow, b };
}

t.test('a TCP binding goes on its own connection while it is open', async (t) => {
  const flows = new FakeFlows();
  const { flow, b } = binding(flows, { transport: 'tcp', contact: 'sip:bob@198.18.0.7:5070;transport=tcp', port: 40001 });
  t.equal(bindingFlow(flows, b), flow);
  t.same(flows.opened, []);
});

t.test("once the connection is gone, a new one goes to the Contact, not to the old connection's ephemeral port", async (t) => {
  const flows = new FakeFlows();
  const { flow, b } = binding(flows, { transport: 'tcp', contact: 'sip:bob@198.18.0.7:5070;transport=tcp', port: 40001 });
  flow.close();
  const out = bindingFlow(flows, b);
  t.equal(out?.transport, 'tcp');
  t.equal(out?.remoteAddress, '198.18.0.7');
  t.equal(out?.remotePort, 5070, 'where the phone listens');
  t.equal(flows.opened.length, 1);
});

t.test('a Contact with no port means 5060; an IPv6 Contact is dialled bare', async (t) => {
  const flows = new FakeFlows();
  const { flow, b } = binding(flows, { transport: 'tcp', contact: 'sip:bob@[2001:db8::7];transport=tcp', port: 40002 });
  flow.close();
  const out = bindingFlow(flows, b);
  t.equal(out?.remoteAddress, '2001:db8::7');
  t.equal(out?.remotePort, 5060);
});

t.test('a Contact with a host name (not resolved) falls back to the address the REGISTER came from', async (t) => {
  const flows = new FakeFlows();
  const { flow, b } = binding(flows, { transport: 'tcp', contact: 'sip:bob@phone.example.invalid:5070;transport=tcp', port: 40003 });
  flow.close();
  const out = bindingFlow(flows, b);
  t.equal(out?.remoteAddress, '198.18.0.7');
  t.equal(out?.remotePort, 40003);
});

t.test('a UDP binding keeps its source address, where a phone behind NAT is reached', async (t) => {
  const flows = new FakeFlows();
  const { b } = binding(flows, { transport: 'udp', contact: 'sip:bob@192.168.1.20:5060', port: 35000 });
  const out = bindingFlow(flows, b);
  t.equal(out?.remoteAddress, '198.18.0.7');
  t.equal(out?.remotePort, 35000);
});
