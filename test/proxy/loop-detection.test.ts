import t from 'tap';
import { isLoop, loopHash, loopSalt, proxyBranch } from '../../src/proxy/loop-detection.js';
import { request } from './proxy-fixture.js';

const SALT = loopSalt();

t.test('the hash depends on Request-URI, tags, Call-ID and CSeq, not on Via or other headers', async (t) => {
  const base = loopHash(request(), SALT);
  t.match(base, /^[0-9a-f]{10}$/);
  t.equal(loopHash(request({ branch: 'z9hG4bKother', extra: ['Subject: hi'] }), SALT), base);
  t.equal(loopHash(request({ maxForwards: '12' }), SALT), base);
  for (const [name, o] of Object.entries({
    'Request-URI': { ruri: 'sip:carol@node1.mesh' },
    'From tag': { fromTag: 'other' },
    'To tag': { toTag: 'x' },
    'Call-ID': { callId: 'other@x' },
    CSeq: { cseq: 2 },
  })) {
    t.not(loopHash(request(o), SALT), base, name);
  }
});

t.test('proxyBranch: magic cookie, the node\'s mark, the hash, then randomness', async (t) => {
  const hash = loopHash(request(), SALT);
  const a = proxyBranch(hash);
  const b = proxyBranch(hash);
  t.match(a, new RegExp(`^z9hG4bKtc${hash}\\.[0-9a-f]+$`));
  t.not(a, b, 'unique per branch');
});

t.test('isLoop: a Via of the node with the hash of this very request', async (t) => {
  const req = request();
  const hash = loopHash(req, SALT);
  t.notOk(isLoop(req, hash), 'a fresh request');
  const back = request({ extra: [] });
  back.headers.prepend('Via', `SIP/2.0/UDP 198.18.0.1:5060;branch=${proxyBranch(hash)};rport`);
  back.headers.prepend('Via', 'SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bKdownstream');
  t.ok(isLoop(back, loopHash(back, SALT)), 'came back unchanged: a loop');

  const spiral = request({ ruri: 'sip:bob@198.18.0.3:5060' });
  spiral.headers.prepend('Via', `SIP/2.0/UDP 198.18.0.1:5060;branch=${proxyBranch(hash)};rport`);
  t.notOk(isLoop(spiral, loopHash(spiral, SALT)), 'Request-URI changed: a spiral');

  const lookalike = request();
  lookalike.headers.prepend('Via', `SIP/2.0/UDP 198.18.0.9:5060;branch=z9hG4bKx;comment=z9hG4bKtc${hash}.`);
  t.notOk(isLoop(lookalike, hash), 'the hash outside a branch parameter is not the node\'s');
  const broken = request();
  broken.headers.prepend('Via', `garbage z9hG4bKtc${hash}.`);
  t.notOk(isLoop(broken, hash), 'an unreadable Via is skipped');
});

t.test('Vias on one comma-separated line are each looked at', async (t) => {
  const req = request();
  const hash = loopHash(req, SALT);
  req.headers.set('Via', `SIP/2.0/UDP 198.18.0.3:5060;branch=z9hG4bKa, SIP/2.0/UDP 198.18.0.1:5060;branch=${proxyBranch(hash)}`);
  t.ok(isLoop(req, hash));
});

t.test("another node's Via for the same request is not a loop: each node salts its hash", async (t) => {
  const req = request();
  const other = loopSalt();
  t.not(other, SALT);
  req.headers.prepend('Via', `SIP/2.0/UDP 198.18.0.2:5060;branch=${proxyBranch(loopHash(req, other))}`);
  t.notOk(isLoop(req, loopHash(req, SALT)), 'a peer forwarded it to us unchanged: not our loop');
  t.ok(isLoop(req, loopHash(req, other)), 'at the peer itself it would be');
});
