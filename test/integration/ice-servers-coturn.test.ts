/**
 * `GET /api/ice-servers` on a real HTTPS server: the node's STUN for everyone, TURN credentials for
 * a caller authenticated with HTTP Digest, and those credentials allocate a relay on a real coturn
 * started here (`use-auth-secret`); expired and tampered ones are refused by it.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { NonceManager } from '../../src/auth/nonce.js';
import { HttpDigest } from '../../src/http/api/http-digest.js';
import { createIceServersHandler } from '../../src/http/api/ice-servers.js';
import { type RequestHandler, startHttpServers } from '../../src/http/server.js';
import { ConnectionTotal } from '../../src/transport/connection-limits.js';
import { silentLogger } from '../../src/log.js';
import { turnCredentials } from '../../src/auth/turn-credentials.js';
import { freePorts } from '../helpers/ports.js';
import { TLS, testConfig } from '../helpers/transport-harness.js';

const run = promisify(execFile);
const haveCoturn = await run('sh', ['-c', 'command -v turnserver && command -v turnutils_uclient']).then(
  () => true,
  () => false,
);
const REALM = 'test.mesh';
const SECRET = randomBytes(12).toString('hex');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const USERS: Record<string, string> = { alice: md5(`alice:${REALM}:wonderland`) };

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, authorization?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = authorization ? { authorization } : undefined;
    const req = https.request({ host: '127.0.0.1', port, path, ca: TLS.cert, agent: false, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Answers a Digest challenge as a browser would (RFC 7616 §3.4, MD5, qop=auth). */
function answer(challenge: string, user: string, password: string, path: string, nc = 1): string {
  const param = (name: string) => new RegExp(`${name}="?([^",]+)"?`).exec(challenge)?.[1] ?? '';
  const realm = param('realm');
  const nonce = param('nonce');
  const cnonce = randomBytes(8).toString('hex');
  const ncText = nc.toString(16).padStart(8, '0');
  const response = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${ncText}:${cnonce}:auth:${md5(`GET:${path}`)}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${path}", qop=auth, nc=${ncText}, cnonce="${cnonce}", response="${response}", algorithm=MD5`;
}

async function startApi(t: Test, turnPort: number) {
  const [sip, http, httpsPort] = (await freePorts(3)) as [number, number, number];
  const config = {
    ...testConfig({ sip, http, https: httpsPort }),
    stunPort: 3478,
    turnUrls: [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`],
    turnSecret: SECRET,
    turnTtl: 600,
  };
  const credentials = { realm: REALM, ha1: (user: string) => USERS[user.toLowerCase()] };
  const digest = new HttpDigest({ credentials, nonces: new NonceManager({ now: Date.now }) });
  const iceServers = createIceServersHandler({ config, digest, now: Date.now });
  const handler: RequestHandler = (req, res) => {
    if (!iceServers(req, res)) res.writeHead(404).end();
  };
  const servers = await startHttpServers({ config, tls: TLS, logger: silentLogger, onUpgrade: (_r, s) => s.destroy(), handler, connectionTotal: new ConnectionTotal(100) });
  t.teardown(servers.stop);
  return httpsPort;
}

/** coturn with the REST secret on a free loopback port, killed at the end of the test. */
async function startCoturn(t: Test): Promise<number> {
  const [port] = (await freePorts(1)) as [number];
  const dir = mkdtempSync(join(tmpdir(), 'trucada-coturn-'));
  const args = [
    '--use-auth-secret', `--static-auth-secret=${SECRET}`, `--realm=${REALM}`,
    '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
    '--min-port=49152', '--max-port=49452', '--allow-loopback-peers', '--no-cli', '--no-tls', '--no-dtls',
    '-n', '--no-stdout-log', '--log-file=stdout', `--pidfile=${join(dir, 'pid')}`, `--userdb=${join(dir, 'db.sqlite')}`,
  ];
  const child = spawn('turnserver', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  t.teardown(async () => {
    clearTimeout(killer);
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  });
  // Ready when it answers: a Binding request through turnutils_stunclient.
  for (let i = 0; i < 50; i++) {
    const ok = await run('turnutils_stunclient', ['-p', String(port), '127.0.0.1'], { timeout: 2000 }).then(
      () => true,
      () => false,
    );
    if (ok) return port;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`coturn did not start: ${log}`);
}

/** turnutils_uclient allocates a relay and sends through it; exit status 0 only on success. */
async function allocate(port: number, username: string, password: string): Promise<boolean> {
  return run('turnutils_uclient', ['-p', String(port), '-u', username, '-w', password, '-y', '-c', '-n', '2', '127.0.0.1'], { timeout: 15_000 }).then(
    () => true,
    () => false,
  );
}

t.test('STUN for everyone, TURN after HTTP Digest; coturn takes the fresh credentials only', { skip: haveCoturn ? false : 'coturn missing (apt-get install coturn)' }, async (t) => {
  const turnPort = await startCoturn(t);
  const port = await startApi(t, turnPort);
  const path = '/api/ice-servers';

  const anonymous = await get(port, path);
  t.equal(anonymous.status, 200);
  t.match(anonymous.headers['content-type'], /^application\/json/);
  t.same(JSON.parse(anonymous.body), { iceServers: [{ urls: ['stun:127.0.0.1:3478'] }], ttl: 600 }, 'the STUN of the address asked, no TURN');

  const challenge = await get(port, `${path}?turn`);
  t.equal(challenge.status, 401);
  const wwwAuth = String(challenge.headers['www-authenticate']);
  t.match(wwwAuth, /^Digest realm="test\.mesh", nonce="[^"]+", algorithm=MD5, qop="auth"$/);

  const wrong = await get(port, `${path}?turn`, answer(wwwAuth, 'alice', 'not-it', `${path}?turn`));
  t.equal(wrong.status, 401, 'a wrong password is challenged again');

  const authorized = await get(port, `${path}?turn`, answer(wwwAuth, 'alice', 'wonderland', `${path}?turn`));
  t.equal(authorized.status, 200);
  const body = JSON.parse(authorized.body) as { iceServers: { urls: string[]; username?: string; credential?: string }[]; ttl: number };
  const turn = body.iceServers[1]!;
  t.same(turn.urls, [`turn:127.0.0.1:${turnPort}?transport=udp`, `turn:127.0.0.1:${turnPort}?transport=tcp`]);
  const [expiry, user] = turn.username!.split(':');
  t.equal(user, 'alice');
  t.ok(Math.abs(Number(expiry) - (Date.now() / 1000 + 600)) < 5, 'expires after turn_ttl');
  const replay = await get(port, `${path}?turn`, answer(wwwAuth, 'alice', 'wonderland', `${path}?turn`, 1));
  t.equal(replay.status, 401, 'the same nonce count again is a replay');
  t.match(String(replay.headers['www-authenticate']), /stale=true/);

  t.ok(await allocate(turnPort, turn.username!, turn.credential!), 'coturn allocates a relay with the fresh credentials');
  const expired = turnCredentials(SECRET, 'alice', -60, Date.now());
  t.notOk(await allocate(turnPort, expired.username, expired.credential), 'expired credentials are refused');
  const tampered = `${Number(expiry) + 3600}:alice`;
  t.notOk(await allocate(turnPort, tampered, turn.credential!), 'a longer expiry with the old password is refused');
  // The last character before the '=' of a 20-byte HMAC in base64 is one of 16, 'A' among them: one
  // credential in 16 already ends in 'A=', and replacing it with 'A' changed nothing.
  const changed = `${turn.credential!.slice(0, -2)}${turn.credential!.at(-2) === 'A' ? 'E' : 'A'}=`;
  t.notOk(await allocate(turnPort, turn.username!, changed), 'a changed password is refused');
});
