// RFC 8760: a client that answers the SHA-256 challenge registers (no common client does SHA-256,
// so this is our own minimal UDP client); the same client with MD5 and a wrong answer are checked too.
import t from 'tap';
import { createSocket, type Socket } from 'node:dgram';
import { digestResponse, ha1, type DigestAlgorithm } from '../../src/sip/digest-hash.js';
import type { SipResponse } from '../../src/sip/message.js';
import { parseMessage } from '../../src/sip/parser.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

function request(port: number, cseq: number, callId: string, authorization?: string): Buffer {
  const lines = [
    `REGISTER sip:${TEST_DOMAIN} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${callId}-${cseq};rport`,
    'Max-Forwards: 70',
    `From: <sip:alice@${TEST_DOMAIN}>;tag=sha256test`,
    `To: <sip:alice@${TEST_DOMAIN}>`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} REGISTER`,
    `Contact: <sip:alice@127.0.0.1:${port}>`,
    'Expires: 300',
  ];
  if (authorization) lines.push(`Authorization: ${authorization}`);
  return Buffer.from(`${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`);
}

function exchange(socket: Socket, port: number, data: Buffer): Promise<SipResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no response in 3 s')), 3000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      const parsed = parseMessage(msg);
      if (parsed.kind !== 'response') reject(new Error('expected a response'));
      else resolve(parsed);
    });
    socket.send(data, port, '127.0.0.1');
  });
}

async function registerWith(algorithm: DigestAlgorithm, password: string, port: number, socket: Socket, callId: string) {
  const localPort = socket.address().port;
  const challenge = await exchange(socket, port, request(localPort, 1, callId));
  const offered = challenge.headers.getAll('www-authenticate');
  const chosen = offered.find((c) => new RegExp(`algorithm=${algorithm}(,|$)`).test(c));
  if (!chosen) throw new Error(`no ${algorithm} challenge among ${offered.join(' | ')}`);
  const realm = /realm="([^"]*)"/.exec(chosen)![1]!;
  const nonce = /nonce="([^"]*)"/.exec(chosen)![1]!;
  const uri = `sip:${TEST_DOMAIN}`;
  const cnonce = 'c0ffee';
  const nc = '00000001';
  const response = digestResponse({ algorithm, ha1: ha1(algorithm, 'alice', realm, password), method: 'REGISTER', uri, nonce, qop: 'auth', nc, cnonce });
  const authorization = `Digest username="alice", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  return { offered, final: await exchange(socket, port, request(localPort, 2, callId, authorization)) };
}

t.test('the 401 offers MD5, SHA-256 and MD5, and a SHA-256 answer registers', async (t) => {
  const n = await startTestNode(t, { alice: 'wonderland' });
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());

  const sha = await registerWith('SHA-256', 'wonderland', n.config.sipPort, socket, 'sha256-call');
  t.same(sha.offered.map((c) => /algorithm=([\w-]+)/.exec(c)?.[1]), ['MD5', 'SHA-256', 'MD5']);
  t.equal(sha.final.status, 200, 'registered with SHA-256');
  t.equal(n.node.location.lookup('alice').length, 1);

  const wrong = await registerWith('SHA-256', 'looking-glass', n.config.sipPort, socket, 'sha256-wrong');
  t.equal(wrong.final.status, 401, 'a wrong SHA-256 answer is challenged again');

  const md5 = await registerWith('MD5', 'wonderland', n.config.sipPort, socket, 'md5-call');
  t.equal(md5.final.status, 200, 'registered with MD5');
});
