/**
 * Requests and responses a tester sends to see what a SIP element does with the unusual (issue 12,
 * "found when tried as a tester would"), from a real UDP socket: every request gets a final
 * response, none is answered that RFC 3261 says is not the node's, and no response is ever answered.
 */
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

async function peer(t: Test, port: number) {
  const sock = dgram.createSocket('udp4');
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  t.teardown(() => sock.close());
  const received: string[] = [];
  sock.on('message', (m) => received.push(m.toString('latin1')));
  const local = sock.address().port;
  let n = 0;
  const send = (text: string) => sock.send(Buffer.from(text, 'latin1'), port, '127.0.0.1');
  /** Send and wait (bounded) for the final response to the request with this Call-ID. */
  const ask = async (text: string, callId: string, ms = 2000): Promise<string> => {
    send(text);
    const until = Date.now() + ms;
    for (;;) {
      const final = received.find((r) => r.includes(`Call-ID: ${callId}\r\n`) && !/^SIP\/2\.0 1\d\d /.test(r));
      if (final) return final.split('\r\n')[0]!;
      if (Date.now() > until) return 'no answer';
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const request = (startLine: string, method: string, extra: string[] = []) => {
    const callId = `odd-${++n}@127.0.0.1`;
    const text = [
      startLine,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bKodd${n};rport`,
      'Max-Forwards: 70',
      `From: <sip:tester@${TEST_DOMAIN}>;tag=t${n}`,
      `To: <sip:bob@${TEST_DOMAIN}>`,
      `Call-ID: ${callId}`,
      `CSeq: 1 ${method}`,
      ...extra,
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
    return ask(text, callId);
  };
  return { received, send, ask, request, local };
}

t.test('RFC 4475 §3.1.1.3 intmeth, escaped BEL, NUL and DEL and all, is answered', async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret' });
  const p = await peer(t, node.config.sipPort);
  const text = readFileSync(new URL('../fixtures/sip/valid-rfc4475-intmeth.sip', import.meta.url))
    .toString('latin1')
    .replace('SIP/2.0/TCP host1.example.com', `SIP/2.0/UDP 127.0.0.1:${p.local}`);
  t.equal(await p.ask(text, 'intmeth.word%ZK-!.*_+\'@word`~)(><:\\/"][?}{'), 'SIP/2.0 403 Not relaying: domain not served by this node', 'example.com is not served here');
  const method = "!interesting-Method0123456789_*+`.%indeed'~";
  t.equal(await p.request(`${method} sip:bob@${TEST_DOMAIN} SIP/2.0`, method), 'SIP/2.0 407 Proxy Authentication Required', 'for a local user it is routed as any method: prove who you are first');
});

t.test('OPTIONS gets 200 only for the node itself; an unknown scheme gets 416', async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret' });
  const p = await peer(t, node.config.sipPort);
  t.equal(await p.request('OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0', 'OPTIONS'), 'SIP/2.0 416 Unsupported URI Scheme');
  t.equal(await p.request('OPTIONS soap.beep://198.18.9.9:3002 SIP/2.0', 'OPTIONS'), 'SIP/2.0 416 Unsupported URI Scheme');
  t.equal(await p.request('OPTIONS sip:198.18.9.9 SIP/2.0', 'OPTIONS'), 'SIP/2.0 403 Not relaying: domain not served by this node', 'another host is no ping of this node');
  t.equal(await p.request(`OPTIONS sip:${TEST_DOMAIN} SIP/2.0`, 'OPTIONS'), 'SIP/2.0 200 OK', 'the node by its domain');
  t.equal(await p.request(`OPTIONS sip:127.0.0.1:${node.config.sipPort} SIP/2.0`, 'OPTIONS'), 'SIP/2.0 200 OK', 'the node by its address');
  t.equal(await p.request(`OPTIONS sip:bob@${TEST_DOMAIN} SIP/2.0`, 'OPTIONS'), 'SIP/2.0 407 Proxy Authentication Required', 'one for a user is routed');
});

t.test('a stray response is never answered, malformed or not (RFC 3261 §16.7, §18.1.2)', async (t) => {
  const node = await startTestNode(t, { bob: 'bob-secret' });
  const p = await peer(t, node.config.sipPort);
  const response = (status: string, callId: string) =>
    [
      `SIP/2.0 ${status}`,
      `Via: SIP/2.0/UDP 127.0.0.1:${node.config.sipPort};branch=z9hG4bK${callId}`,
      `From: <sip:tester@${TEST_DOMAIN}>;tag=1`,
      `To: <sip:bob@${TEST_DOMAIN}>;tag=2`,
      `Call-ID: ${callId}`,
      'CSeq: 1 INVITE',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  p.send(response('4294967301 better not break the receiver', 'stray-big'));
  p.send(response('200 OK', 'stray-ok'));
  p.send(response('486 Busy Here', 'stray-busy'));
  t.equal(await p.request(`OPTIONS sip:${TEST_DOMAIN} SIP/2.0`, 'OPTIONS'), 'SIP/2.0 200 OK', 'the node goes on');
  t.same(p.received.filter((r) => /Call-ID: stray/.test(r)), [], 'nothing came back for any of them');
  t.ok(node.logs.some((l) => /malformed message .*BAD_STATUS/.test(l)), 'the malformed one is logged');
});
