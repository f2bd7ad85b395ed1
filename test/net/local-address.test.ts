import type { NetworkInterfaceInfo } from 'node:os';
import t from 'tap';
import { LocalAddresses } from '../../src/net/local-address.js';
import { FakeClock } from '../helpers/fake-clock.js';

function v4(address: string, netmask: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask, family: 'IPv4', mac: '02:00:00:00:00:00', internal, cidr: null };
}
function v6(address: string, netmask: string, internal = false): NetworkInterfaceInfo {
  return { address, netmask, family: 'IPv6', mac: '02:00:00:00:00:00', internal, cidr: null, scopeid: 0 };
}

const MESH: NetworkInterfaceInfo[] = [
  v4('127.0.0.1', '255.0.0.0', true),
  v6('::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true),
  v4('10.5.0.1', '255.255.0.0'),
  v4('198.18.0.1', '255.254.0.0'),
  v4('192.168.1.1', '255.255.255.0'),
  v6('fd00:5::1', 'ffff:ffff:ffff:ffff::'),
  v6('2001:DB8:7::1', 'ffff:ffff:ffff:ffff::'),
];

function setup(list: NetworkInterfaceInfo[] = MESH) {
  const clock = new FakeClock();
  let reads = 0;
  const addresses = new LocalAddresses(clock.now, () => {
    reads++;
    return list;
  });
  const at = (remoteAddress: string, localAddress = '0.0.0.0') => addresses.forFlow({ localAddress, remoteAddress });
  return { clock, addresses, at, reads: () => reads };
}

t.test('a connection knows its local address: that is the answer', async (t) => {
  const { at, reads } = setup();
  t.equal(at('198.18.0.2', '198.18.0.1'), '198.18.0.1');
  t.equal(at('2001:db8:7::9', '2001:db8:7::1'), '2001:db8:7::1');
  t.equal(at('198.18.0.2', '::ffff:198.18.0.1'), '198.18.0.1', 'an IPv4-mapped local address is unmapped');
  t.equal(reads(), 0, 'no interface list needed');
});

t.test('a connection the node is still opening has no local end yet: the interface facing the peer', async (t) => {
  const { at } = setup();
  t.equal(at('198.18.3.4', ''), '198.18.0.1');
  t.equal(at('fd00:5::77', ''), 'fd00:5::1');
});

t.test('a wildcard socket: the interface whose subnet holds the peer', async (t) => {
  const { at } = setup();
  t.equal(at('198.19.200.7'), '198.18.0.1', 'inside 198.18.0.0/15');
  t.equal(at('10.5.3.4'), '10.5.0.1');
  t.equal(at('192.168.1.50'), '192.168.1.1');
  t.equal(at('::ffff:192.168.1.50', '::'), '192.168.1.1', 'an IPv4-mapped peer on a dual-stack socket');
  t.equal(at('fd00:5::77', '::'), 'fd00:5::1');
  t.equal(at('2001:db8:7::42', '::'), '2001:DB8:7::1', 'as the interface list writes it');
});

t.test('a peer on no local subnet: the first external interface of its family', async (t) => {
  const { at } = setup();
  t.equal(at('203.0.113.9'), '10.5.0.1');
  t.equal(at('2001:db8:99::1', '::'), 'fd00:5::1');
});

t.test('loopback peers get loopback', async (t) => {
  const { at } = setup();
  t.equal(at('127.0.0.1'), '127.0.0.1');
  t.equal(at('127.3.4.5'), '127.0.0.1');
  t.equal(at('::1', '::'), '::1');
});

t.test('no usable interface: an internal one, else loopback', async (t) => {
  t.equal(setup([v4('127.0.0.1', '255.0.0.0', true)]).at('198.18.0.2'), '127.0.0.1');
  t.equal(setup([]).at('198.18.0.2'), '127.0.0.1');
  t.equal(setup([]).at('2001:db8::2', '::'), '::1');
  t.equal(setup([v4('198.18.0.1', '255.254.0.0')]).at('2001:db8::2', '::'), '::1', 'no IPv6 interface');
});

t.test('all(): every address, lower-cased', async (t) => {
  const { addresses } = setup();
  t.same(addresses.all(), ['127.0.0.1', '::1', '10.5.0.1', '198.18.0.1', '192.168.1.1', 'fd00:5::1', '2001:db8:7::1']);
});

t.test('the interface list is read again only after 30 s', async (t) => {
  let list = [v4('198.18.0.1', '255.254.0.0')];
  const clock = new FakeClock();
  let reads = 0;
  const addresses = new LocalAddresses(clock.now, () => {
    reads++;
    return list;
  });
  t.same(addresses.all(), ['198.18.0.1']);
  list = [v4('198.18.0.77', '255.254.0.0')];
  clock.advance(30_000);
  t.same(addresses.all(), ['198.18.0.1'], 'cached for 30 s');
  t.equal(addresses.forFlow({ localAddress: '0.0.0.0', remoteAddress: '198.18.0.2' }), '198.18.0.1');
  t.equal(reads, 1);
  clock.advance(1);
  t.same(addresses.all(), ['198.18.0.77'], 'an address change is seen');
  t.equal(addresses.forFlow({ localAddress: '0.0.0.0', remoteAddress: '198.18.0.2' }), '198.18.0.77');
  t.equal(reads, 2);
});

t.test('the real interface list works too', async (t) => {
  const addresses = new LocalAddresses(() => Date.now());
  t.ok(addresses.all().includes('127.0.0.1'));
  t.equal(addresses.forFlow({ localAddress: '0.0.0.0', remoteAddress: '127.0.0.1' }), '127.0.0.1');
});
