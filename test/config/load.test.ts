import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConfigError } from '../../src/config/errors.js';
import { MAX_CONFIG_BYTES, SYSTEM_CONFIG_PATH, configFromDefaults, findConfigPath, loadConfig } from '../../src/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'trucada-config-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const cwd = join(dir, 'cwd');
mkdirSync(cwd);

let count = 0;
/** Writes `text` to a fresh file and returns its path. */
function file(text: string | Buffer): string {
  const path = join(dir, `trucada-${++count}`);
  writeFileSync(path, text);
  return path;
}

const load = (path: string) => loadConfig({ path, hostname: 'node7', cwd });

function refused(t: Test, text: string, code: string, line: number | undefined, reason: string): void {
  const path = file(text);
  const err = t.throws(() => load(path)) as ConfigError;
  t.type(err, ConfigError);
  t.equal(err.code, code, reason);
  t.equal(err.message, `${path}${line === undefined ? '' : `:${line}`}: ${reason}`);
}

t.test('discovery: --config, then $TRUCADA_CONFIG, then /etc/config/trucada, then defaults', async (t) => {
  const everything = () => true;
  const nothing = () => false;
  t.equal(findConfigPath({ config: 'a.uci' }, { TRUCADA_CONFIG: 'b.uci' }, everything), 'a.uci');
  t.equal(findConfigPath({ config: 'missing.uci' }, {}, nothing), 'missing.uci', 'a named file is used even when missing');
  t.equal(findConfigPath({}, { TRUCADA_CONFIG: 'b.uci' }, everything), 'b.uci');
  t.equal(findConfigPath({}, { TRUCADA_CONFIG: 'missing.uci' }, nothing), 'missing.uci');
  t.equal(findConfigPath({}, { TRUCADA_CONFIG: '' }, everything), SYSTEM_CONFIG_PATH, 'an empty variable counts as unset');
  const asked: string[] = [];
  t.equal(findConfigPath({}, {}, (p) => (asked.push(p), true)), '/etc/config/trucada');
  t.same(asked, ['/etc/config/trucada']);
  t.equal(findConfigPath({}, {}, nothing), undefined);
  const err = t.throws(() => findConfigPath({ config: '' }, {}, nothing)) as ConfigError;
  t.equal(err.code, 'CONFIG_FILE');
});

t.test('defaults without a file: a checkout layout', async (t) => {
  const c = loadConfig({ hostname: 'Node7', cwd });
  t.same(c, {
    domain: 'node7.mesh',
    listen: [],
    sipPort: 5060,
    httpPort: 8080,
    httpsPort: 8443,
    stunPort: 3478,
    dataDir: join(cwd, 'data'),
    runDir: join(cwd, 'run'),
    firewallZones: ['lan'],
    cert: undefined,
    key: undefined,
    logLevel: 'info',
    minExpires: 60,
    maxExpires: 3600,
    defaultExpires: 3600,
    maxContacts: 10,
    maxMessageSize: 65535,
    maxConnectionsPerAddress: 32,
    maxConnections: 2000,
    requestRate: 200,
    maxRequestsInProgress: 300,
    idleTimeout: 120,
    tcpMessageTimeout: 20,
    turnUrls: [],
    turnSecret: undefined,
    turnTtl: 43200,
    rtpengineRelay: 'mixed',
    ringTimeout: 45,
    signup: 'open',
    natPingInterval: 20,
    messageMaxBody: 8192,
    messageMaxStored: 100,
    messageMaxAge: 604800,
    historyMaxCalls: 200,
    historyMaxAge: 7776000,
    peers: [],
    peerInterval: 30,
    peerTimeout: 180,
    mdns: 'announce',
    bmx: 'auto',
    bmxRunDirs: [],
    sharedState: 'auto',
    peerExchange: 'on',
    source: 'defaults',
  });
  t.same(configFromDefaults('Node7', cwd), c);
  t.equal(configFromDefaults('x').dataDir, join(process.cwd(), 'data'), 'cwd defaults to the process');
});

t.test('a file without data_dir and run_dir: the router layout', async (t) => {
  const path = file("config trucada 'main'\n\toption sip_port 5070\n");
  const c = load(path);
  t.equal(c.dataDir, '/etc/trucada');
  t.equal(c.runDir, '/tmp/trucada');
  t.equal(c.sipPort, 5070);
  t.equal(c.source, path);
  t.equal(load(file('')).dataDir, '/etc/trucada', 'an empty file gives the router defaults');
});

t.test('every option read from a full file', async (t) => {
  const path = new URL('../fixtures/config/full.uci', import.meta.url).pathname;
  const c = load(path);
  t.same(c, {
    domain: 'node7.mesh',
    listen: ['10.1.2.3', 'fd00::7'],
    sipPort: 5062,
    httpPort: 80,
    httpsPort: 443,
    stunPort: 0,
    dataDir: '/srv/trucada',
    runDir: join(cwd, 'state'),
    firewallZones: ['lan', 'mesh'],
    cert: '/etc/ssl/node7.crt',
    key: '/etc/ssl/node7.key',
    logLevel: 'debug',
    minExpires: 120,
    maxExpires: 7200,
    defaultExpires: 600,
    maxContacts: 5,
    maxMessageSize: 16384,
    maxConnectionsPerAddress: 64,
    maxConnections: 500,
    requestRate: 50,
    maxRequestsInProgress: 200,
    idleTimeout: 300,
    tcpMessageTimeout: 10,
    turnUrls: ['turn:10.1.2.3:3478?transport=udp', 'turn:[fd00::7]:3478?transport=tcp'],
    turnSecret: 'b9f3c2e1d0a7',
    turnTtl: 3600,
    rtpengine: { host: '::1', port: 2223 },
    rtpengineRelay: 'all',
    ringTimeout: 30,
    signup: 'closed',
    natPingInterval: 0,
    messageMaxBody: 4096,
    messageMaxStored: 20,
    messageMaxAge: 86400,
    historyMaxCalls: 50,
    historyMaxAge: 2592000,
    peers: [{ host: '10.1.7.1', port: 8443 }, { host: 'fd00::9', port: 443 }, { host: 'node9.guifi.net', port: 8443 }],
    peerInterval: 60,
    peerTimeout: 600,
    mdns: 'browse',
    bmx: 'off',
    bmxRunDirs: ['/var/run/bmx7', '/srv/bmx6'],
    sharedState: 'off',
    peerExchange: 'off',
    source: path,
  });
});

t.test('which section is read', async (t) => {
  const named = load(file("config trucada 'other'\n\toption sip_port 1000\nconfig trucada 'main'\n\toption sip_port 2000\n"));
  t.equal(named.sipPort, 2000, "the section named 'main' wins");
  const first = load(file("config peer\n\toption bogus 1\nconfig trucada\n\toption sip_port 3000\nconfig trucada\n\toption sip_port 4000\n"));
  t.equal(first.sipPort, 3000, 'else the first trucada section; other types are ignored');
  const wrongType = load(file("config peer 'main'\n\toption sip_port 1\nconfig trucada 'node'\n\toption sip_port 5000\n"));
  t.equal(wrongType.sipPort, 5000, "a 'main' of another type is not ours");
});

t.test('lists may be written as one option of words', async (t) => {
  t.same(load(file("config trucada 'main'\n\toption listen '10.0.0.1  ::1'\n")).listen, ['10.0.0.1', '::1']);
});

t.test('each bad value names file, line, option and what is allowed', async (t) => {
  const main = "config trucada 'main'\n\toption domain node7.mesh\n";
  const cases: [string, number, string][] = [
    ["\toption sip_port '70000'", 3, "option sip_port: '70000' is not a port (0-65535)"],
    ['\toption https_port -1', 3, "option https_port: '-1' is not a port (0-65535)"],
    ['\toption max_contacts 0', 3, "option max_contacts: '0' is not an integer from 1 to 100"],
    ['\toption idle_timeout 2m', 3, "option idle_timeout: '2m' is not an integer from 10 to 86400"],
    ['\toption max_message_size 1023', 3, "option max_message_size: '1023' is not an integer from 1024 to 1048576"],
    ['\toption max_message_size 1048577', 3, "option max_message_size: '1048577' is not an integer from 1024 to 1048576"],
    ['\toption log_level verbose', 3, "option log_level: 'verbose' is not one of error, warn, info, debug"],
    ['\toption domain bad_name.mesh', 3, "option domain: 'bad_name.mesh' is not a domain name (dot-separated labels of letters, digits and inner -)"],
    ['\toption domain -a.mesh', 3, "option domain: '-a.mesh' is not a domain name (dot-separated labels of letters, digits and inner -)"],
    ["\toption data_dir '/a\nb'", 3, "option data_dir: '/a\\nb' is not a path (no control characters)"],
    ['\toption listen 10.0.0.300', 3, "option listen: '10.0.0.300' is not an IPv4 or IPv6 address"],
    ['\tlist listen ::1\n\tlist listen host.mesh', 4, "list listen: 'host.mesh' is not an IPv4 or IPv6 address"],
    ['\tlist sip_port 5060', 3, 'list sip_port: takes one value; write it as option sip_port'],
  ];
  for (const [statement, line, reason] of cases) refused(t, `${main}${statement}\n`, 'CONFIG_VALUE', line, reason);
});

t.test('unknown options are refused with the known ones listed', async (t) => {
  const path = file("config trucada 'main'\n\n\toption sip_prot 5060\n");
  const err = t.throws(() => load(path)) as ConfigError;
  t.equal(err.code, 'CONFIG_UNKNOWN_OPTION');
  t.match(err.message, new RegExp(`^${path}:3: option sip_prot: unknown option \\(known: domain, listen, sip_port, `));
});

t.test('values that contradict each other', async (t) => {
  const main = "config trucada 'main'\n";
  refused(t, `${main}\toption min_expires 600\n\toption default_expires 300\n`, 'CONFIG_CONFLICT', 2,
    'min_expires (600) is greater than default_expires (300)');
  refused(t, `${main}\toption max_expires 60\n\toption min_expires 30\n\toption default_expires 120\n`, 'CONFIG_CONFLICT', 4,
    'default_expires (120) is greater than max_expires (60)');
  refused(t, `${main}\toption max_expires 1800\n`, 'CONFIG_CONFLICT', 2,
    'default_expires (3600) is greater than max_expires (1800)');
  refused(t, `${main}\toption http_port 5060\n`, 'CONFIG_CONFLICT', 2, 'sip_port and http_port are both 5060');
  refused(t, `${main}\toption https_port 8080\n`, 'CONFIG_CONFLICT', 2, 'http_port and https_port are both 8080');
  refused(t, `${main}\toption stun_port 5060\n`, 'CONFIG_CONFLICT', 2, 'sip_port and stun_port are both 5060');
  refused(t, `${main}\toption key k.pem\n`, 'CONFIG_CONFLICT', 2, 'key is set but cert is not (give both or neither)');
  const zeros = load(file(`${main}\toption sip_port 0\n\toption http_port 0\n\toption https_port 0\n\toption stun_port 0\n`));
  t.same([zeros.sipPort, zeros.httpPort, zeros.httpsPort, zeros.stunPort], [0, 0, 0, 0], 'port 0 may repeat');
});

t.test('file problems', async (t) => {
  const missing = join(dir, 'missing');
  const err = t.throws(() => load(missing)) as ConfigError;
  t.equal(err.code, 'CONFIG_FILE');
  t.equal(err.message, `${missing}: cannot read: no such file`);
  t.equal((t.throws(() => load(dir)) as ConfigError).message, `${dir}: not a regular file`);
  const big = file(Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x23));
  t.equal((t.throws(() => load(big)) as ConfigError).message, `${big}: larger than ${MAX_CONFIG_BYTES} bytes`);
  const latin1 = file(Buffer.from("config trucada 'main'\n\toption domain 'caf\xe9'\n", 'latin1'));
  t.equal((t.throws(() => load(latin1)) as ConfigError).message, `${latin1}: not UTF-8 text`);
  const syntax = file("config trucada 'main'\n\toption domain 'x\n");
  const parse = t.throws(() => load(syntax)) as ConfigError;
  t.equal(parse.code, 'UCI_SYNTAX');
  t.equal(parse.message, `${syntax}:2: unterminated single quote`);
});
