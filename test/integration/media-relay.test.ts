/**
 * A node configured with `rtpengine` pings it at start and tells `trucada status` whether it
 * answers: up against Debian's rtpengine on loopback, down against a port where nothing listens.
 */
import t from 'tap';
import { statusCommand } from '../../src/cli/status-command.js';
import { rtpengineMissing, startRtpengine } from '../helpers/rtpengine.js';
import { freePorts } from '../helpers/ports.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode } from '../helpers/test-node.js';

async function statusLines(config: Parameters<typeof statusCommand>[0]): Promise<string[]> {
  const lines: string[] = [];
  await statusCommand(config, false, (l) => lines.push(l));
  return lines;
}

t.test('status shows the relay up when rtpengine answers', { skip: rtpengineMissing }, async (t) => {
  const rtpe = await startRtpengine(t);
  const node = await startTestNode(t, {}, { rtpengine: { host: '127.0.0.1', port: rtpe.ngPort } });
  const name = `udp:127.0.0.1:${rtpe.ngPort}`;
  await until(() => node.logs.some((l) => l.includes(`media relay rtpengine at ${name} is up`)), 'the first pong');
  t.ok((await statusLines(node.config)).includes(`media relay: rtpengine at ${name}, up`));
});

t.test('status shows the relay down when nothing answers, and the node serves on', async (t) => {
  const [port] = (await freePorts(1)) as [number];
  const node = await startTestNode(t, {}, { rtpengine: { host: '127.0.0.1', port } });
  const name = `udp:127.0.0.1:${port}`;
  await until(() => node.logs.some((l) => l.includes(`media relay rtpengine at ${name} is down`)), 'the ping to fail', 6000);
  const lines = await statusLines(node.config);
  t.ok(lines.includes(`media relay: rtpengine at ${name}, down`), lines.join('\n'));
  t.ok(lines.some((l) => /: running/.test(l)), 'the node runs without its relay');
});

t.test('without rtpengine configured status says nothing of a relay', async (t) => {
  const node = await startTestNode(t);
  t.notOk((await statusLines(node.config)).some((l) => l.includes('media relay')));
});
