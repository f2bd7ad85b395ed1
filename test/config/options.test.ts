import t from 'tap';
import {
  BOOLEAN,
  DOMAIN,
  IP_ADDRESS,
  OPTIONS,
  PATH,
  PORT,
  ZONE,
  defaultDomain,
  defaultText,
  integer,
  oneOf,
  type LoadContext,
  type ValueType,
} from '../../src/config/options.js';

const ctx: LoadContext = { hostname: 'node7', withFile: true, cwd: '/work' };

function accepts<T>(type: ValueType<T>, raw: string): T | undefined {
  const r = type.parse([raw], ctx);
  return r.ok ? r.value : undefined;
}

t.test('the table: snake_case names of the Config fields, each once, with docs text', async (t) => {
  const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  // A UCI list is written one value per line, so its name may be the singular of the field's.
  const uciName = (o: (typeof OPTIONS)[number]) => (o.type.list ? snake(o.field).replace(/s$/, '') : snake(o.field));
  t.same(
    OPTIONS.map((o) => o.name),
    OPTIONS.map((o) => (o.name === snake(o.field) ? o.name : uciName(o))),
  );
  t.equal(new Set(OPTIONS.map((o) => o.name)).size, OPTIONS.length);
  t.equal(OPTIONS.length, 44, 'every Config field but source');
  for (const o of OPTIONS) {
    t.not(defaultText(o), '', `${o.name} has a documented default`);
    t.not(o.meaning, '', `${o.name} has a meaning`);
    t.ok(o.type.parse([o.example], ctx).ok, `${o.name}: example ${o.example} is valid`);
  }
});

t.test('every built-in default is valid, with and without a file', async (t) => {
  for (const withFile of [true, false]) {
    for (const o of OPTIONS) {
      const c = { ...ctx, withFile };
      const raw = typeof o.default === 'function' ? o.default(c) : o.default;
      t.ok(o.type.parse(raw === undefined ? [] : [raw], c).ok, `${o.name} (withFile=${withFile})`);
    }
  }
});

t.test('default domain: the host name made into DNS labels, plus .mesh', async (t) => {
  const cases: [string, string][] = [
    ['Node7', 'node7.mesh'],
    ['gw.zone1.guifi.net', 'gw.zone1.guifi.net.mesh'],
    ['My_Router (2)', 'my-router-2.mesh'],
    ['-edge-', 'edge.mesh'],
    ['', 'trucada.mesh'],
    ['___', 'trucada.mesh'],
    ['a..b.', 'a.b.mesh'],
    ['x'.repeat(80), `${'x'.repeat(63)}.mesh`],
    ['ab.'.repeat(90), 'trucada.mesh'],
  ];
  for (const [host, domain] of cases) {
    t.equal(defaultDomain(host), domain, host);
    t.equal(accepts(DOMAIN, defaultDomain(host)), domain, `${domain} is a valid domain`);
  }
});

t.test('domain names', async (t) => {
  t.equal(accepts(DOMAIN, 'Node7.MESH'), 'node7.mesh', 'lower-cased');
  t.equal(accepts(DOMAIN, 'mesh'), 'mesh');
  for (const bad of ['', 'a..b', 'a.', '.a', 'a_b', 'a-.b', `${'x'.repeat(64)}.mesh`, `${'abc.'.repeat(64)}mesh`, 'é.mesh']) {
    t.equal(accepts(DOMAIN, bad), undefined, bad);
  }
});

t.test('integers and ports', async (t) => {
  t.equal(accepts(PORT, '0'), 0);
  t.equal(accepts(PORT, '65535'), 65535);
  t.equal(accepts(PORT, '08080'), 8080);
  for (const bad of ['65536', '-1', '+5', ' 5', '5 ', '5.0', '1e3', '0x10', '', '99999999999999999999']) {
    t.equal(accepts(PORT, bad), undefined, `port ${JSON.stringify(bad)}`);
  }
  const ten = integer(1, 10);
  t.equal(ten.describe, 'integer (1-10)');
  t.same(ten.parse(['11'], ctx), { ok: false, index: 0, reason: "'11' is not an integer from 1 to 10" });
});

t.test('enumerations', async (t) => {
  const ab = oneOf(['a', 'b']);
  t.equal(ab.describe, 'one of a, b');
  t.equal(accepts(ab, 'b'), 'b');
  for (const bad of ['A', 'toString', '']) t.equal(accepts(ab, bad), undefined, bad);
});

t.test('booleans use the spellings of OpenWrt validation', async (t) => {
  for (const yes of ['1', 'yes', 'on', 'true', 'enabled']) t.equal(accepts(BOOLEAN, yes), true, yes);
  for (const no of ['0', 'no', 'off', 'false', 'disabled']) t.equal(accepts(BOOLEAN, no), false, no);
  t.equal(accepts(BOOLEAN, 'constructor'), undefined, 'no inherited names');
  t.same(BOOLEAN.parse(['maybe'], ctx), {
    ok: false,
    index: 0,
    reason: "'maybe' is not a boolean (1/0, yes/no, on/off, true/false, enabled/disabled)",
  });
});

t.test('IP addresses and paths', async (t) => {
  for (const ip of ['0.0.0.0', '10.1.2.3', '::', 'fd00::7', 'fe80::1%wlan0-mesh', '::ffff:10.0.0.1']) {
    t.equal(accepts(IP_ADDRESS, ip), ip);
  }
  for (const bad of ['10.0.0.256', '010.0.0.1', 'node7.mesh', '10.0.0.1/24', '[::1]', '']) {
    t.equal(accepts(IP_ADDRESS, bad), undefined, bad);
  }
  t.equal(accepts(PATH, 'data'), '/work/data');
  t.equal(accepts(PATH, '../x/'), '/x');
  t.equal(accepts(PATH, '/etc/trucada'), '/etc/trucada');
  t.equal(accepts(PATH, 'a\tb'), undefined);
});

t.test('firewall zones: OpenWrt section names', async (t) => {
  for (const ok of ['lan', 'mesh_1', 'WAN6']) t.equal(accepts(ZONE, ok), ok, ok);
  for (const bad of ['', 'lan-1', 'lan mesh', '*', 'x'.repeat(33)]) t.equal(accepts(ZONE, bad), undefined, `refuses '${bad}'`);
});

t.test('TURN URLs and secrets', async (t) => {
  const { TURN_URL, SECRET } = await import('../../src/config/options.js');
  for (const ok of ['turn:10.1.2.3', 'turn:10.1.2.3:3478?transport=udp', 'turns:turn.node7.mesh:5349?transport=tcp', 'turn:[fd00::7]:3478']) {
    t.equal(accepts(TURN_URL, ok), ok, ok);
  }
  for (const bad of ['stun:10.1.2.3', 'turn:', 'turn:10.1.2.3:0', 'turn:10.1.2.3:70000', 'turn:[10.1.2.3]', 'turn:fd00::7', 'turn:a?transport=sctp', 'turn:a b', 'http://x']) {
    t.equal(accepts(TURN_URL, bad), undefined, bad);
  }
  t.equal(accepts(SECRET, 'abc-DEF_123'), 'abc-DEF_123');
  t.equal(accepts(SECRET, 'has space'), undefined);
  t.equal(accepts(SECRET, ''), undefined);
});

t.test('rtpengine ng control sockets', async (t) => {
  const { NG_SOCKET } = await import('../../src/config/options.js');
  t.same(accepts(NG_SOCKET, 'udp:127.0.0.1:2223'), { host: '127.0.0.1', port: 2223 });
  t.same(accepts(NG_SOCKET, 'udp:[fd00::7]:22222'), { host: 'fd00::7', port: 22222 });
  for (const bad of ['127.0.0.1:2223', 'udp:127.0.0.1', 'tcp:127.0.0.1:2223', 'udp:localhost:2223', 'udp:fd00::7:2223', 'udp:[10.1.2.3]:2223', 'udp:127.0.0.1:0', 'udp:127.0.0.1:70000', 'udp:300.1.1.1:2223']) {
    t.equal(accepts(NG_SOCKET, bad), undefined, bad);
  }
});

t.test('static peers: HOST:PORT with a name, IPv4 or bracketed IPv6', async (t) => {
  const { PEER, findConflict } = await import('../../src/config/options.js');
  const { configFromDefaults } = await import('../../src/config/load.js');
  t.same(accepts(PEER, '10.1.7.1:8443'), { host: '10.1.7.1', port: 8443 });
  t.same(accepts(PEER, '[fd00::9]:443'), { host: 'fd00::9', port: 443 });
  t.same(accepts(PEER, 'Node9.Guifi.net:8443'), { host: 'node9.guifi.net', port: 8443 }, 'names are lower-cased');
  for (const bad of ['10.1.7.1', '10.1.7.1:0', '10.1.7.1:70000', 'fd00::9:443', '[10.1.7.1]:443', 'https://x:443', 'a b:443', '-x:443', ':443']) {
    t.equal(accepts(PEER, bad), undefined, bad);
  }
  const c = configFromDefaults('x', '/work');
  t.equal(findConflict(c), undefined);
  t.match(findConflict({ ...c, peerInterval: 60, peerTimeout: 60 }), { options: ['peer_timeout', 'peer_interval'], reason: /not longer than/ });
});
