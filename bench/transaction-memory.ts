/**
 * Bytes of heap per non-INVITE server transaction a table holds (issue 13 item 3): N REGISTERs over
 * UDP, answered (Completed, waiting for Timer J) or not (Trying), on the real clock so that timers
 * weigh what they weigh in the daemon. Not part of `npm run bench`; run by hand:
 *
 *   npx esbuild --bundle --platform=node --format=esm bench/transaction-memory.ts --outfile=/tmp/txmem.mjs
 *   node --expose-gc /tmp/txmem.mjs 20000 answered      # or: unanswered
 *
 * The figure includes the table's own entries (the key, the Map and Set slots) and, answered, the
 * response kept as bytes (`bufferBytesPerTx`, outside the heap).
 */
import { systemClock } from '../src/clock.js';
import type { Flow } from '../src/sip/flow.js';
import type { SipRequest } from '../src/sip/message.js';
import { parseMessage } from '../src/sip/parser.js';
import { createResponse } from '../src/sip/response.js';
import { ServerTransactionTable } from '../src/sip/transactions/server-transaction-table.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const N = Number(process.argv[2] ?? 20000);
const answered = process.argv[3] !== 'unanswered';
const flow: Flow = {
  id: 'udp:198.18.0.2:5062', transport: 'udp', remoteAddress: '198.18.0.2', remotePort: 5062,
  localAddress: '198.18.0.1', localPort: 5060, reliable: false, open: true,
  send: () => true, sendBytes: () => true,
};
function register(i: number): SipRequest {
  return parseMessage(Buffer.from([
    'REGISTER sip:node1.mesh SIP/2.0',
    `Via: SIP/2.0/UDP 198.18.0.2:5062;rport;branch=z9hG4bK-${i}-x7f3a`,
    'Max-Forwards: 70',
    `From: <sip:u${i}@node1.mesh>;tag=${i}a73kszlfl`,
    `To: <sip:u${i}@node1.mesh>`,
    `Call-ID: ${i}-1j9FpLxk3uxtm8tn@198.18.0.2`,
    'CSeq: 2 REGISTER',
    `Contact: <sip:u${i}@198.18.0.2:5062>`,
    'Expires: 3600',
    'Content-Length: 0', '', '',
  ].join('\r\n'))) as SipRequest;
}
const table = new ServerTransactionTable({ clock: systemClock, maxInProgress: N + 1, maxTransactions: N + 2 });
gc(); gc();
const before = process.memoryUsage();
for (let i = 0; i < N; i++) {
  const req = register(i);
  if (table.receive(req, flow) !== 'new') throw new Error('not new');
  if (answered) table.respond(req, createResponse(req, 200), flow);
}
gc(); gc();
const after = process.memoryUsage();
if (table.size !== N) throw new Error(`size ${table.size}`);
const per = (k: 'heapUsed' | 'arrayBuffers' | 'rss') => Math.round((after[k] - before[k]) / N);
console.log(JSON.stringify({ N, answered, heapBytesPerTx: per('heapUsed'), bufferBytesPerTx: per('arrayBuffers'), rssBytesPerTx: per('rss') }));
table.close();
