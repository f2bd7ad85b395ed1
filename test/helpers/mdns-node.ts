/**
 * The mDNS channel alone, in a process of its own (run in a network namespace by the test):
 * argv[2] is a JSON object with the beacon, the SIP port and the mode. It writes one JSON line
 * per event on stdout ({"started":true}, {"heard":TEXT}, {"gone":ID}), takes `seq N` lines on
 * stdin to change its beacon's seq, and on SIGTERM stops the channel (the goodbye) and exits.
 */
import { createInterface } from 'node:readline';
import { systemClock } from '../../src/clock.js';
import type { Beacon } from '../../src/federation/beacon.js';
import { MdnsChannel, type MdnsMode } from '../../src/federation/mdns-channel.js';
import { createLogger } from '../../src/log.js';

const args = JSON.parse(process.argv[2]!) as { beacon: Beacon; sipPort: number; mode: MdnsMode };
let beacon = args.beacon;
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const channel = new MdnsChannel(
  {
    sink: { heard: (text) => say({ heard: text.toString() }), gone: (id) => say({ gone: id }) },
    own: () => beacon,
    clock: systemClock,
    logger: createLogger('debug'),
  },
  { mode: args.mode, sipPort: () => args.sipPort, listen: [] },
);
await channel.start();
say({ started: true });
createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^seq (\d+)$/.exec(line);
  if (m) beacon = { ...beacon, seq: Number(m[1]) };
});
process.on('SIGTERM', () => {
  void channel.stop().then(() => process.exit(0));
});
// systemClock's timers do not hold the process: this does, until SIGTERM.
setInterval(() => {}, 60_000);
