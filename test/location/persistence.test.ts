import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import type { Binding } from '../../src/location/binding.js';
import { Location } from '../../src/location/location.js';
import { BindingPersistence, restore } from '../../src/location/persistence.js';
import { FakeClock } from '../helpers/fake-clock.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'trucada-bindings-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function binding(clock: FakeClock, o: Partial<Binding> = {}): Binding {
  return {
    aor: 'alice',
    contact: 'sip:alice@192.168.1.20:5062',
    q: 0.5,
    expiresAt: clock.now() + 60_000,
    callId: 'c1',
    cseq: 7,
    instance: '<urn:uuid:1>',
    regId: 1,
    flowId: 'udp:203.0.113.7:40000',
    flow: { transport: 'udp', remoteAddress: '203.0.113.7', remotePort: 40000 },
    userAgent: 'phone/1',
    registeredAt: clock.now(),
    ...o,
  };
}

function capture() {
  const logs: string[] = [];
  return { logs, logger: createLogger('debug', (l) => logs.push(l.trim())) };
}

t.test('round trip: UDP and TCP written after the debounce, WebSocket never', async (t) => {
  const path = join(tempDir(t), 'bindings.json');
  const clock = new FakeClock();
  const { logger } = capture();
  const location = new Location({ clock, logger });
  const persistence = new BindingPersistence({ location, path, clock, logger, debounceMs: 2000 });
  const udp = binding(clock);
  location.save(udp);
  location.save(binding(clock, { aor: 'bob', contact: 'sip:bob@10.0.0.2;transport=tcp', flowId: 'tcp#4', flow: { transport: 'tcp', remoteAddress: '10.0.0.2', remotePort: 5060 } }));
  location.save(binding(clock, { aor: 'carol', contact: 'sip:x@y.invalid;transport=ws', flowId: 'ws#1', flow: { transport: 'wss', remoteAddress: '10.0.0.3', remotePort: 443 } }));
  t.notOk(existsSync(path), 'debounced');
  clock.advance(2000);
  t.ok(existsSync(path));
  t.notOk(existsSync(`${path}.tmp`), 'temp file renamed');

  const restored = restore(path, clock.now(), logger);
  t.equal(restored.length, 2);
  t.same(restored.find((b) => b.aor === 'alice'), udp);
  const tcp = restored.find((b) => b.aor === 'bob')!;
  t.equal(tcp.flowId, 'restored:tcp:10.0.0.2:5060', 'old connection ids are not reused');
  t.same(restore(path, clock.now() + 60_000, logger), [], 'expired ones dropped');

  location.removeUser('alice');
  location.removeUser('bob');
  persistence.close();
  t.same(JSON.parse(readFileSync(path, 'utf8')).bindings, [], 'close flushes the pending write');
  location.close();
});

t.test('a missing file is no bindings, silently', async (t) => {
  const { logs, logger } = capture();
  t.same(restore(join(tempDir(t), 'none.json'), 0, logger), []);
  t.same(logs, []);
});

t.test('a corrupt file is logged and ignored', async (t) => {
  const dir = tempDir(t);
  const { logs, logger } = capture();
  const path = join(dir, 'bindings.json');
  for (const text of ['{"version":1,"bindings":[{"aor":', 'null', '[1,2]', '{"version":2,"bindings":[]}', '\u0000\u0001']) {
    writeFileSync(path, text);
    t.same(restore(path, 0, logger), [], JSON.stringify(text));
  }
  t.equal(logs.filter((l) => l.startsWith('warn:')).length, 5);
});

t.test('garbage entries are dropped, good ones kept', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeClock();
  const { logs, logger } = capture();
  const path = join(dir, 'bindings.json');
  const good = binding(clock);
  const bad = [
    42,
    null,
    { ...good, contact: 'not a uri' },
    { ...good, flow: { ...good.flow, transport: 'ws' } },
    { ...good, flow: { ...good.flow, remoteAddress: 'example.com' } },
    { ...good, flow: { ...good.flow, remotePort: 70000 } },
    { ...good, cseq: -1 },
    { ...good, q: 3 },
    { ...good, aor: '' },
    { ...good, expiresAt: 'soon' },
  ];
  writeFileSync(path, JSON.stringify({ version: 1, bindings: [good, ...bad] }));
  t.same(restore(path, clock.now(), logger), [good]);
  t.match(logs.join('\n'), /10 malformed bindings dropped/);
});

t.test('a write failure is logged, not thrown', async (t) => {
  const clock = new FakeClock();
  const { logs, logger } = capture();
  const location = new Location({ clock, logger });
  const path = join(tempDir(t), 'no-such-dir', 'bindings.json');
  const persistence = new BindingPersistence({ location, path, clock, logger });
  location.save(binding(clock));
  t.doesNotThrow(() => clock.advance(2000));
  t.match(logs.join('\n'), /error: cannot write/);
  persistence.close();
  location.close();
});
