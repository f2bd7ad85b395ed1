import t from 'tap';
import { authorize, challengesOf, DOMAIN, REALM, register, setup } from './register-fixture.js';
import { FakeFlow } from '../helpers/fake-flow.js';

t.test('401 challenges MD5 first and last (sipp reads the first, JsSIP and SIP.js the last), SHA-256 between', async (t) => {
  const { registrar, flow } = setup();
  const res = registrar.handle(register(), flow);
  t.equal(res.status, 401);
  const chs = challengesOf(res);
  t.same(chs.map((c) => c.algorithm), ['MD5', 'SHA-256', 'MD5']);
  for (const c of chs) {
    t.equal(c.realm, REALM);
    t.equal(c.qop, 'auth');
    t.equal(c.stale, undefined);
  }
  t.equal(new Set(chs.map((c) => c.nonce)).size, 1, 'one nonce');
  t.match(res.headers.get('to'), /;tag=/);
  t.equal(flow.sent.length, 0, 'the registrar only returns the response');
});

for (const algorithm of [0, 1]) {
  t.test(`authenticates with ${algorithm === 0 ? 'MD5' : 'SHA-256'}`, async (t) => {
    const { registrar, flow, location, logs } = setup();
    const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[algorithm]!;
    const res = registrar.handle(register({ cseq: 2, authorization: authorize(ch, { password: 'secret' }) }), flow);
    t.equal(res.status, 200);
    t.equal(location.lookup('alice').length, 1);
    t.match(logs.join('\n'), /info: register alice sip:alice@192\.168\.1\.20:5062/);
  });
}

t.test('MD5 without qop and without an algorithm parameter is accepted once', async (t) => {
  const { registrar, flow } = setup();
  const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[0]!;
  const authorization = authorize(ch, { password: 'secret', qop: false, algorithmParam: false });
  t.equal(registrar.handle(register({ cseq: 2, authorization }), flow).status, 200);
  const again = registrar.handle(register({ cseq: 3, authorization }), flow);
  t.equal(again.status, 401);
  t.equal(challengesOf(again)[0]!.stale, 'true');
});

t.test('the same authenticated REGISTER again (a retransmission whose transaction is gone) is registered again; a new one with its count is a replay', async (t) => {
  const { registrar, flow } = setup();
  const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[0]!;
  const authorization = authorize(ch, { password: 'secret' });
  t.equal(registrar.handle(register({ cseq: 2, authorization }), flow).status, 200);
  t.equal(registrar.handle(register({ cseq: 2, authorization }), flow).status, 200, 'same branch, CSeq and nonce count: the same request');
  const replay = registrar.handle(register({ cseq: 3, authorization }), flow);
  t.equal(replay.status, 401, 'another CSeq with that nonce count');
  t.equal(challengesOf(replay)[0]!.stale, 'true');
});

t.test('wrong password and unknown user get the same answer, and are logged', async (t) => {
  const { registrar, flow, logs } = setup();
  const answer = (user: string, password: string) => {
    const ch = challengesOf(registrar.handle(register({ user, cseq: 1 }), flow))[0]!;
    const res = registrar.handle(register({ user, cseq: 2, authorization: authorize(ch, { user, password }) }), flow);
    const chs = challengesOf(res);
    return { status: res.status, reason: res.reason, algorithms: chs.map((c) => c.algorithm), stale: chs.map((c) => c.stale), fresh: chs[0]!.nonce !== ch.nonce };
  };
  const wrong = answer('alice', 'wrong');
  const unknown = answer('mallory', 'whatever');
  t.same(wrong, unknown);
  t.equal(wrong.status, 401);
  t.ok(wrong.fresh);
  t.match(logs.join('\n'), /warn: authentication failed for "alice" \(REGISTER as alice\) from udp 203\.0\.113\.7:40000/);
  t.match(logs.join('\n'), /warn: authentication failed for "mallory"/);
});

t.test('an expired nonce with the right password is answered stale=true', async (t) => {
  const { registrar, flow, clock } = setup();
  const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[0]!;
  clock.advance(301_000);
  const res = registrar.handle(register({ cseq: 2, authorization: authorize(ch, { password: 'secret' }) }), flow);
  t.equal(res.status, 401);
  t.same(challengesOf(res).map((c) => c.stale), ['true', 'true', 'true']);
  const wrong = registrar.handle(register({ cseq: 3, authorization: authorize(ch, { password: 'nope' }) }), flow);
  t.same(challengesOf(wrong).map((c) => c.stale), [undefined, undefined, undefined], 'wrong password: not stale');
});

t.test('a replayed nonce count is refused; a higher one passes', async (t) => {
  const { registrar, flow } = setup();
  const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[0]!;
  const first = authorize(ch, { password: 'secret', nc: 1 });
  t.equal(registrar.handle(register({ cseq: 2, authorization: first }), flow).status, 200);
  const replay = registrar.handle(register({ cseq: 3, authorization: first, branch: 'z9hG4bKother' }), flow);
  t.equal(replay.status, 401);
  t.equal(challengesOf(replay)[0]!.stale, 'true');
  const next = authorize(ch, { password: 'secret', nc: 2 });
  t.equal(registrar.handle(register({ cseq: 4, authorization: next }), flow).status, 200);
});

t.test('the authenticated user must be the To user', async (t) => {
  const { registrar, flow } = setup();
  const ch = challengesOf(registrar.handle(register({ user: 'bob', cseq: 1 }), flow))[0]!;
  const res = registrar.handle(register({ user: 'bob', cseq: 2, authorization: authorize(ch, { user: 'alice', password: 'secret' }) }), flow);
  t.equal(res.status, 403);
  t.equal(res.reason, 'Authenticated user does not match To');
});

t.test('malformed credentials, a foreign realm and a wrong digest-uri', async (t) => {
  const { registrar, flow } = setup();
  const ch = challengesOf(registrar.handle(register({ cseq: 1 }), flow))[0]!;
  t.equal(registrar.handle(register({ cseq: 2, authorization: 'Digest username="alice", realm=' }), flow).status, 400);
  const foreign = authorize({ ...ch, realm: 'elsewhere' }, { password: 'secret' });
  t.equal(registrar.handle(register({ cseq: 3, authorization: foreign }), flow).status, 401);
  const uri = authorize(ch, { password: 'secret', uri: 'sip:other.mesh' });
  const res = registrar.handle(register({ cseq: 4, authorization: uri }), flow);
  t.equal(res.status, 400);
  t.equal(res.reason, 'Digest uri does not match Request-URI');
  const sha512 = authorize(ch, { password: 'secret' }).replace('algorithm=MD5', 'algorithm=SHA-512-256');
  t.equal(registrar.handle(register({ cseq: 5, authorization: sha512 }), flow).status, 401);
});

t.test('repeated failures from one address are throttled with 503 and Retry-After', async (t) => {
  const { registrar, flow, clock } = setup();
  for (let i = 0; i < 10; i++) {
    const ch = challengesOf(registrar.handle(register({ user: 'bob', cseq: 2 * i + 1 }), flow))[0]!;
    const res = registrar.handle(register({ user: 'bob', cseq: 2 * i + 2, authorization: authorize(ch, { user: 'bob', password: `guess${i}` }) }), flow);
    t.equal(res.status, 401);
  }
  const blocked = registrar.handle(register({ user: 'bob', cseq: 100 }), flow);
  t.equal(blocked.status, 503);
  t.equal(blocked.reason, 'Too many failed attempts');
  t.equal(blocked.headers.get('retry-after'), '60');
  const elsewhere = new FakeFlow({ remoteAddress: '198.51.100.9' });
  t.equal(registrar.handle(register({ user: 'bob', cseq: 101 }), elsewhere).status, 503, 'the user is held too');
  t.equal(registrar.handle(register({ user: 'alice', cseq: 102 }), elsewhere).status, 401, 'others are not');
  clock.advance(60_000);
  t.equal(registrar.handle(register({ user: 'bob', cseq: 103 }), flow).status, 401, 'cool-down over');
});

t.test('the domain must be ours or the address the request came to', async (t) => {
  const { registrar, flow } = setup();
  const other = registrar.handle(register({ ruri: 'sip:other.mesh', toHost: 'other.mesh' }), flow);
  t.equal(other.status, 404);
  t.equal(other.reason, 'Not our domain');
  t.equal(registrar.handle(register({ toHost: 'other.mesh' }), flow).status, 404);
  const byIp = registrar.handle(register({ ruri: `sip:${flow.localAddress}`, toHost: flow.localAddress }), flow);
  t.equal(byIp.status, 401);
  t.equal(registrar.handle(register({ ruri: `sip:${DOMAIN.toUpperCase()}` }), flow).status, 401);
});

t.test('on a socket bound to the wildcard, any address of the node counts as ours', async (t) => {
  const { registrar } = setup({}, ['198.18.0.1', 'fd00::1']);
  const wildcard = new FakeFlow({ localAddress: '0.0.0.0', remoteAddress: '198.18.0.2' });
  t.equal(registrar.handle(register({ ruri: 'sip:198.18.0.1', toHost: '198.18.0.1' }), wildcard).status, 401, 'a phone configured with the router’s IP as domain');
  t.equal(registrar.handle(register({ ruri: 'sip:[fd00::1]', toHost: '[fd00::1]' }), wildcard).status, 401, 'IPv6 too');
  t.equal(registrar.handle(register({ ruri: 'sip:198.18.0.9', toHost: '198.18.0.9' }), wildcard).status, 404, 'not another address');
});

t.test('a To user that cannot be an account is 404 without a challenge', async (t) => {
  const { registrar, flow } = setup();
  const res = registrar.handle(register({ user: 'al%C3%AFce' }), flow);
  t.equal(res.status, 404);
  t.equal(registrar.handle(register({ user: 'ALICE' }), flow).status, 401, 'case does not matter');
});
