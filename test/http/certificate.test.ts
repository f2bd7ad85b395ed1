import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCertificate, loadOrCreateCertificate, nodeAddresses } from '../../src/http/certificate.js';
import * as der from '../../src/http/der.js';
import { ipAddressBytes } from '../../src/net/ip-address-bytes.js';

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-cert-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const names = { commonName: 'node1.mesh', dnsNames: ['Node1', 'node1.mesh', 'localhost'], ipAddresses: ['127.0.0.1', '::1', '10.1.2.3', '2001:db8::7'] };

t.test('DER pieces match X.690 examples', async (t) => {
  t.equal(der.oid('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
  t.equal(der.unsignedInteger(0).toString('hex'), '020100');
  t.equal(der.unsignedInteger(128).toString('hex'), '02020080');
  t.equal(der.unsignedInteger(Buffer.from([0, 0, 1])).toString('hex'), '020101');
  t.equal(der.octetString(Buffer.alloc(200)).subarray(0, 3).toString('hex'), '0481c8');
  t.equal(der.octetString(Buffer.alloc(300)).subarray(0, 4).toString('hex'), '0482012c');
  t.equal(der.time(new Date('2049-12-31T23:59:59.999Z')).toString('latin1'), '\x17\x0d491231235959Z');
  t.equal(der.time(new Date('2050-01-01T00:00:00Z')).toString('latin1'), '\x18\x0f20500101000000Z');
  t.equal(der.set(der.boolean(true), der.boolean(false)).toString('hex'), '31060101000101ff');
  t.equal(ipAddressBytes('::ffff:10.0.0.1').toString('hex'), '00000000000000000000ffff0a000001');
  t.equal(ipAddressBytes('fe80::1%eth0').toString('hex'), 'fe800000000000000000000000000001');
  t.equal(ipAddressBytes('1:2:3:4:5:6:7:8').toString('hex'), '00010002000300040005000600070008');
});

t.test('node parses the certificate and finds every name, its signature and its key', async (t) => {
  const now = new Date('2030-06-15T12:00:00Z');
  const { cert, key } = createSelfSignedCertificate({ ...names, now });
  const x509 = new X509Certificate(cert);
  t.equal(x509.subject, 'CN=node1.mesh');
  t.equal(x509.issuer, 'CN=node1.mesh');
  t.equal(x509.subjectAltName, 'DNS:node1, DNS:node1.mesh, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:10.1.2.3, IP Address:2001:DB8:0:0:0:0:0:7');
  t.ok(x509.verify(x509.publicKey), 'self-signature verifies');
  t.ok(x509.checkPrivateKey(createPrivateKey(key)));
  t.match(key, /^-----BEGIN PRIVATE KEY-----\n/);
  t.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(new Date(x509.validFrom).toISOString(), '2030-06-14T12:00:00.000Z');
  t.equal(new Date(x509.validTo).toISOString(), '2040-06-15T12:00:00.000Z');
  t.equal(x509.ca, false);
  t.same(x509.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  t.equal(x509.serialNumber.length, 32, '16 bytes of serial');
  t.not(createSelfSignedCertificate({ ...names, now }).cert, cert, 'a new key and serial each time');
});

t.test('dates after 2049 are GeneralizedTime', async (t) => {
  const x509 = new X509Certificate(createSelfSignedCertificate({ ...names, now: new Date('2045-03-01T00:00:00Z') }).cert);
  t.equal(new Date(x509.validTo).toISOString(), '2055-03-01T00:00:00.000Z');
  t.equal(new Date(x509.validFrom).toISOString(), '2045-02-28T00:00:00.000Z');
});

function handshake(t: { teardown(fn: () => void): void }, pair: { cert: string; key: string }, client: tls.ConnectionOptions): Promise<string> {
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (socket) => socket.end('hello'));
  t.teardown(() => server.close());
  return new Promise((resolve, reject) => {
    server.listen(0, client.host, () => {
      const { port } = server.address() as AddressInfo;
      const socket = tls.connect({ ca: pair.cert, ...client, port, timeout: 5000 }, () => socket.setEncoding('utf8'));
      let data = '';
      socket.on('data', (chunk: string) => (data += chunk));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.on('timeout', () => socket.destroy(new Error('timeout')));
    });
  });
}

t.test('a TLS client that trusts it connects by IP address and by name', async (t) => {
  const pair = createSelfSignedCertificate(names);
  t.equal(await handshake(t, pair, { host: '127.0.0.1' }), 'hello', 'by IPv4 address');
  t.equal(await handshake(t, pair, { host: '127.0.0.1', servername: 'node1.mesh' }), 'hello', 'by name');
  await t.rejects(handshake(t, pair, { host: '127.0.0.1', servername: 'other.mesh' }), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  const other = createSelfSignedCertificate(names);
  await t.rejects(handshake(t, pair, { host: '127.0.0.1', ca: other.cert }), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }, 'not when it trusts another one');
});

t.test('IPv6 loopback', { skip: !nodeAddresses().includes('::1') && 'no ::1 here' }, async (t) => {
  t.equal(await handshake(t, createSelfSignedCertificate(names), { host: '::1' }), 'hello');
});

t.test('data_dir: created once with a private key file, then reused', async (t) => {
  const dataDir = tempDir(t);
  const opts = { dataDir, domain: 'node1.mesh', hostname: 'node1', addresses: ['10.9.8.7'] };
  const first = loadOrCreateCertificate(opts);
  t.equal(first.created, true);
  t.equal(statSync(join(dataDir, 'key.pem')).mode & 0o777, 0o600);
  t.equal(readFileSync(join(dataDir, 'cert.pem'), 'utf8'), first.cert);
  t.match(new X509Certificate(first.cert).subjectAltName, /DNS:node1, DNS:node1\.mesh, DNS:localhost, IP Address:10\.9\.8\.7, IP Address:127\.0\.0\.1/);

  const second = loadOrCreateCertificate(opts);
  t.same(second, { ...first, created: false });

  const expired = loadOrCreateCertificate({ ...opts, now: new Date(Date.now() + 11 * 365 * 86400_000) });
  t.equal(expired.created, true, 'an expired one is replaced');
  writeFileSync(join(dataDir, 'cert.pem'), 'garbage');
  t.equal(loadOrCreateCertificate(opts).created, true, 'a damaged one is replaced');
});

t.test('configured files: used as they are, with errors that name the file', async (t) => {
  const dir = tempDir(t);
  const pair = createSelfSignedCertificate(names);
  const certPath = join(dir, 'my.crt');
  const keyPath = join(dir, 'my.key');
  writeFileSync(certPath, pair.cert);
  writeFileSync(keyPath, pair.key);
  const base = { dataDir: join(dir, 'data'), domain: 'x.mesh', hostname: 'x', addresses: [] };
  t.same(loadOrCreateCertificate({ ...base, cert: certPath, key: keyPath }), { ...pair, created: false });

  t.throws(() => loadOrCreateCertificate({ ...base, cert: certPath }), { code: 'CERT_INCOMPLETE', message: /cert is set but key is not/ });
  const missing = join(dir, 'missing.crt');
  t.throws(() => loadOrCreateCertificate({ ...base, cert: missing, key: keyPath }), { code: 'CERT_UNREADABLE', message: missing });
  writeFileSync(join(dir, 'bad.crt'), 'not a certificate');
  t.throws(() => loadOrCreateCertificate({ ...base, cert: join(dir, 'bad.crt'), key: keyPath }), { code: 'CERT_INVALID', message: 'bad.crt' });
  t.throws(() => loadOrCreateCertificate({ ...base, cert: certPath, key: certPath }), { code: 'CERT_INVALID', message: /my\.crt is not a PEM private key/ });
  writeFileSync(join(dir, 'other.key'), createSelfSignedCertificate(names).key);
  t.throws(() => loadOrCreateCertificate({ ...base, cert: certPath, key: join(dir, 'other.key') }), { code: 'CERT_KEY_MISMATCH', message: /other\.key does not belong to the certificate .*my\.crt/ });
  if (process.getuid?.() !== 0) {
    chmodSync(keyPath, 0);
    t.throws(() => loadOrCreateCertificate({ ...base, cert: certPath, key: keyPath }), { code: 'CERT_UNREADABLE', message: /my\.key/ });
  }
});
