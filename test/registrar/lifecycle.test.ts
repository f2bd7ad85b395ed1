/**
 * The path a desk phone's registration takes (as test/sipp/register-lifecycle.xml drives it):
 * server transaction table first, registrar behind it. A UDP retransmission of the authenticated
 * REGISTER must get the same 200 again, not be judged a nonce-count replay.
 */
import t from 'tap';
import { ServerTransactionTable } from '../../src/sip/transactions/server-transaction-table.js';
import type { SipRequest, SipResponse } from '../../src/sip/message.js';
import { authorize, challengesOf, register, setup } from './register-fixture.js';

t.test('register, retransmit, refresh, unregister', async (t) => {
  const { registrar, flow, clock, location } = setup();
  const table = new ServerTransactionTable({ clock });
  const send = (req: SipRequest): SipResponse | undefined => {
    if (table.receive(req, flow) === 'absorbed') return undefined;
    const res = registrar.handle(req, flow);
    table.respond(req, res, flow);
    return res;
  };
  const callId = 'lifecycle-call';
  const first = send(register({ callId, cseq: 1, expires: 3600, branch: 'z9hG4bK-1' }))!;
  t.equal(first.status, 401);
  const auth = authorize(challengesOf(first)[0]!, { password: 'secret' });
  const authed = register({ callId, cseq: 2, expires: 3600, branch: 'z9hG4bK-2', authorization: auth });
  t.equal(send(authed)!.status, 200);
  t.equal(send(register({ callId, cseq: 2, expires: 3600, branch: 'z9hG4bK-2', authorization: auth })), undefined, 'absorbed');
  t.same(flow.sent.map((m) => (m as SipResponse).status), [401, 200, 200], 'the 200 is sent again');

  clock.advance(200);
  const again = send(register({ callId, cseq: 3, expires: 600, branch: 'z9hG4bK-3' }))!;
  t.equal(again.status, 401);
  const auth2 = authorize(challengesOf(again)[0]!, { password: 'secret' });
  const refreshed = send(register({ callId, cseq: 4, expires: 600, branch: 'z9hG4bK-4', authorization: auth2 }))!;
  t.match(refreshed.headers.get('contact'), /;expires=600$/);

  const bye = send(register({ callId, cseq: 5, expires: 0, branch: 'z9hG4bK-5' }))!;
  const auth3 = authorize(challengesOf(bye)[0]!, { password: 'secret' });
  t.equal(send(register({ callId, cseq: 6, expires: 0, branch: 'z9hG4bK-6', authorization: auth3 }))!.status, 200);
  t.same(location.lookup('alice'), []);
  clock.advance(32_000);
  t.equal(table.size, 0, 'Timer J cleaned up every transaction');
  table.close();
});
