/**
 * The HTTPS certificate: the configured one, or a self-signed one kept in data_dir. Browsers give
 * the microphone only to secure pages, and a mesh node has no public name a CA could certify, so
 * the node signs its own (ECDSA P-256, built here in DER without openssl) and users accept it once.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import * as der from './der.js';
import { ipAddressBytes } from '../net/ip-address-bytes.js';
import { writeFileDurably } from '../store/atomic-file.js';

export type CertificateErrorCode = 'CERT_INCOMPLETE' | 'CERT_UNREADABLE' | 'CERT_INVALID' | 'CERT_KEY_MISMATCH';

export class CertificateError extends Error {
  override readonly name = 'CertificateError';

  constructor(
    readonly code: CertificateErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface CertificatePair {
  /** PEM */
  cert: string;
  /** PEM, PKCS#8 */
  key: string;
}

export interface SelfSignedOptions {
  commonName: string;
  dnsNames: string[];
  ipAddresses: string[];
  now?: Date;
}

export interface LoadOrCreateOptions {
  dataDir: string;
  /** Paths of a configured certificate and key; both or neither. */
  cert?: string;
  key?: string;
  domain: string;
  hostname: string;
  /** The node's addresses, put in the subjectAltName of a new certificate. */
  addresses: string[];
  now?: Date;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

const VALID_YEARS = 10;
const DAY_MS = 24 * 60 * 60 * 1000;

export function createSelfSignedCertificate(opts: SelfSignedOptions): CertificatePair {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = opts.now ?? new Date();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALID_YEARS);
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; the high bit is cleared and the next set so it is always 16.
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40;
  const signatureAlgorithm = der.sequence(der.oid(OID.ecdsaWithSha256)); // RFC 5758 §3.2: no parameters
  const name = der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(opts.commonName))));
  const tbs = der.sequence(
    der.explicit(0, der.unsignedInteger(2)), // v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name,
    der.sequence(der.time(new Date(now.getTime() - DAY_MS)), der.time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...extensions(opts, publicKey))),
  );
  const signature = sign('sha256', tbs, privateKey); // DER Ecdsa-Sig-Value, as RFC 5758 §3.2 wants
  const certificate = der.sequence(tbs, signatureAlgorithm, der.bitString(signature));
  return { cert: pem('CERTIFICATE', certificate), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** RFC 5280 §4.2: an end-entity certificate for a TLS server under the given names and addresses. */
function extensions(opts: SelfSignedOptions, publicKey: KeyObject): Buffer[] {
  const ext = (id: string, critical: boolean, value: Buffer) =>
    der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
  const dnsNames = [...new Set(opts.dnsNames.map(toAsciiName).filter((n) => n !== ''))];
  const ips = [...new Set(opts.ipAddresses.filter((ip) => isIP(ip) !== 0).map((ip) => ipAddressBytes(ip).toString('hex')))];
  const generalNames = [
    ...dnsNames.map((n) => der.implicit(2, Buffer.from(n, 'ascii'))), // dNSName [2] IA5String
    ...ips.map((hex) => der.implicit(7, Buffer.from(hex, 'hex'))), // iPAddress [7] OCTET STRING
  ];
  // §4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits, here the uncompressed point 04 || x || y.
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return [
    ext(OID.basicConstraints, true, der.sequence()), // §4.2.1.9: cA FALSE is the default, so omitted
    ext(OID.keyUsage, true, der.bitString(Buffer.from([0x80]), 7)), // §4.2.1.3: digitalSignature (bit 0)
    ext(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
    ext(OID.subjectAltName, false, der.sequence(...generalNames)),
    ext(OID.subjectKeyIdentifier, false, der.octetString(createHash('sha1').update(point).digest())),
  ];
}

function toAsciiName(name: string): string {
  return domainToASCII(name.toLowerCase().replace(/\.$/, ''));
}

function pem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The node's addresses for the certificate, without IPv6 link-local ones (no browser takes a zone in a URL). */
export function nodeAddresses(interfaces = networkInterfaces()): string[] {
  return Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .map((i) => i.address)
    .filter((a) => !/^fe[89ab][0-9a-f]:/i.test(a));
}

/** The configured pair, else the one in data_dir while it is valid, else a new one written there. */
export function loadOrCreateCertificate(opts: LoadOrCreateOptions): CertificatePair & { created: boolean } {
  if (opts.cert !== undefined || opts.key !== undefined) {
    if (opts.cert === undefined || opts.key === undefined) {
      const [set, unset] = opts.cert === undefined ? ['key', 'cert'] : ['cert', 'key'];
      throw new CertificateError('CERT_INCOMPLETE', `${set} is set but ${unset} is not: give both, or neither for a self-signed pair`);
    }
    return { ...checkedPair(opts.cert, opts.key, opts.now), created: false };
  }
  const certPath = join(opts.dataDir, 'cert.pem');
  const keyPath = join(opts.dataDir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) {
    try {
      return { ...checkedPair(certPath, keyPath, opts.now, true), created: false };
    } catch {
      // Damaged, mismatched (a crash between the two writes) or expired: make a new pair below.
    }
  }
  const pair = createSelfSignedCertificate({
    commonName: opts.domain,
    dnsNames: [opts.hostname, opts.domain, 'localhost'],
    ipAddresses: [...opts.addresses, '127.0.0.1', '::1'],
    now: opts.now,
  });
  // Flushed before and after the rename (store/atomic-file.ts): renamed unflushed, a file can come
  // back empty from a power cut on the routers' flash (UBIFS), and a new pair asks every browser to
  // accept the certificate again.
  writeFileDurably(keyPath, pair.key, 0o600);
  writeFileDurably(certPath, pair.cert, 0o644);
  return { ...pair, created: true };
}

function checkedPair(certPath: string, keyPath: string, now = new Date(), mustBeCurrent = false): CertificatePair {
  const cert = readText(certPath, 'certificate');
  const key = readText(keyPath, 'key');
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new CertificateError('CERT_INVALID', `${certPath} is not a PEM certificate: ${(err as Error).message}`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new CertificateError('CERT_INVALID', `${keyPath} is not a PEM private key: ${(err as Error).message}`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new CertificateError('CERT_KEY_MISMATCH', `the key ${keyPath} does not belong to the certificate ${certPath}`);
  }
  if (mustBeCurrent && !(now.getTime() < Date.parse(x509.validTo))) {
    throw new CertificateError('CERT_INVALID', `${certPath} expired on ${x509.validTo}`);
  }
  return { cert, key };
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new CertificateError('CERT_UNREADABLE', `cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
}
