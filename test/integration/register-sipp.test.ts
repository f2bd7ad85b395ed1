// sipp, a real SIP peer, registers with digest auth over UDP and TCP: register, refresh, unregister;
// a wrong password and an unknown user are challenged again and never bound.
import t from 'tap';
import { runSipp } from '../helpers/sipp.js';
import { startTestNode, TEST_DOMAIN } from '../helpers/test-node.js';

for (const transport of ['udp', 'tcp'] as const) {
  t.test(`sipp registers, refreshes and unregisters over ${transport}`, async (t) => {
    const n = await startTestNode(t, { alice: 'wonderland' });
    const seen: string[] = [];
    n.node.location.onChange((e) => seen.push(`${e.type} ${e.binding.aor} ${e.binding.flow.transport}`));
    const run = await runSipp({
      scenario: 'register-lifecycle.xml',
      transport,
      port: n.config.sipPort,
      domain: TEST_DOMAIN,
      user: 'alice',
      password: 'wonderland',
    });
    t.equal(run.code, 0, `sipp succeeded:\n${run.output}`);
    t.same(seen, [`added alice ${transport}`, `refreshed alice ${transport}`, `removed alice ${transport}`]);
    t.same(n.node.location.lookup('alice'), [], 'no binding left after unregistering');
    t.ok(n.logs.some((l) => /register alice/.test(l)), 'the registration is logged');
  });

  t.test(`a wrong password over ${transport} is refused and leaves no binding`, async (t) => {
    const n = await startTestNode(t, { alice: 'wonderland' });
    for (const [user, password] of [['alice', 'looking-glass'], ['nobody', 'wonderland']] as const) {
      const run = await runSipp({
        scenario: 'register-wrong-password.xml',
        transport,
        port: n.config.sipPort,
        domain: TEST_DOMAIN,
        user,
        password,
      });
      t.equal(run.code, 0, `${user} was challenged again:\n${run.output}`);
    }
    t.same(n.node.location.all(), [], 'no binding');
    t.ok(n.logs.some((l) => /^warn: .*alice/.test(l)), 'the failed authentication is logged');
  });
}
