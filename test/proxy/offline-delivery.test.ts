import t from 'tap';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { Location } from '../../src/location/location.js';
import { OfflineDelivery, type OfflineDeliveryDeps } from '../../src/proxy/offline-delivery.js';
import type { SipRequest } from '../../src/sip/message.js';
import { openDatabase } from '../../src/store/database.js';
import { StoredMessages } from '../../src/store/stored-messages.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { sipRequest } from '../helpers/sip-request.js';
import { tempDir } from '../helpers/temp-dir.js';

const DOMAIN = 'node1.mesh';

function message(n: number): SipRequest {
  const body = `hello ${n}`;
  return sipRequest({
    method: 'MESSAGE',
    ruri: `sip:carol@${DOMAIN}`,
    vias: [`SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${n}`],
    from: `<sip:alice@${DOMAIN}>;tag=a${n}`,
    to: `<sip:carol@${DOMAIN}>`,
    callId: `offline-${n}`,
    extra: ['Content-Type: text/plain'],
    body,
  });
}

t.test('a full box: the MESSAGE is refused with 480 and the limit that bit is logged, at most ten lines a minute', async (t) => {
  const db = openDatabase(join(tempDir(t), 'trucada.db'));
  t.teardown(() => db.close());
  const clock = new FakeClock();
  const logs: string[] = [];
  const logger = createLogger('debug', (l) => logs.push(l.trim()));
  const messages = new StoredMessages(db, { maxPerUser: 2, maxAgeMs: 86_400_000, maxBody: 8192, now: clock.now });
  // Only storing is exercised: nothing is delivered, so the parts that send are never reached.
  const unused = {} as never;
  const deps: OfflineDeliveryDeps = {
    messages,
    history: { unnotifiedMissed: () => [], markNotified: () => undefined, usersWithUnnotifiedMissed: () => [] },
    location: new Location({ clock, logger }),
    flows: unused,
    clientTransactions: unused,
    addresses: unused,
    clock,
    logger,
    domain: DOMAIN,
  };
  const offline = new OfflineDelivery(deps);
  t.teardown(() => offline.close());
  t.same([1, 2].map((n) => offline.store(message(n), 'carol').status), [202, 202]);
  t.same(logs.filter((l) => l.startsWith('warn')), [], 'room left: nothing to warn of');
  const refused = offline.store(message(3), 'carol');
  t.equal(refused.status, 480);
  t.same(logs.filter((l) => l.startsWith('warn')), ['warn: MESSAGE for carol refused with 480: message_max_stored (2) messages wait for them already']);
  for (let n = 4; n < 30; n++) offline.store(message(n), 'carol');
  t.equal(logs.filter((l) => l.startsWith('warn')).length, 10, 'a flood of them is capped');
  clock.advance(60_000);
  offline.store(message(30), 'carol');
  t.match(logs.filter((l) => l.startsWith('warn')).slice(10), ['warn: 17 similar warnings were not logged', /^warn: MESSAGE for carol refused/]);
});
