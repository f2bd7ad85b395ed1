// The page bench: what the browser softphone page costs (issue 10 item 11), in Debian's headless
// Chromium driven by playwright-core against a node this bench starts on 127.0.0.1. Measures the
// page weight of a first visit (every response received, compressed, headers included: up to the
// login screen, then through a sign-up to a registered phone) and the time from a click on Call to
// a connected call (median of several). Replaces its section of bench/RESULTS.md (after the STUN
// bench's) and writes bench/out/page.json. Run by bench/run.sh, or alone: `node bench/page-bench.mjs`.
//
// Settings (environment): BENCH_PAGE_CALLS (10 calls).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, haveChromium, launchChromium } from './lib/chromium.mjs';
import { startHarness } from './lib/harness.mjs';
import { describeMachine } from './lib/machine.mjs';
import { measureCalls } from './lib/page-calls.mjs';
import { startPageNode } from './lib/page-node.mjs';
import { measureWeight } from './lib/page-weight.mjs';
import { STUN_HEADING, writeSection } from './lib/results.mjs';
import { fmt, median } from './lib/stats.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench/out');
const HEADING = '# Page bench';
// Goals of issue 10 item 11.
const GOALS = { weightBytes: 150 * 1024, callMs: 1000 };

const settings = { calls: positiveInt('BENCH_PAGE_CALLS', 10) };
const log = (line) => console.log(line);

const { groups, tmpRoot, run } = startHarness({ outDir, workDir: join(outDir, 'page'), name: 'page', label: 'page', log });
await run(main);

async function main() {
  if (!haveChromium()) throw new Error(`${CHROMIUM} missing (apt-get install chromium)`);
  if (!existsSync(join(root, 'dist/www/index.html'))) execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  const machine = describeMachine();
  const node = await startPageNode(groups, { root, tmpRoot, logFile: join(outDir, 'page/node.log') });
  const browser = await launchChromium();
  try {
    machine.chromium = browser.version();
    machine.playwright = JSON.parse(readFileSync(join(root, 'node_modules/playwright-core/package.json'), 'utf8')).version;
    const weight = await measureWeight(browser, node.origin);
    log(`page weight: ${Object.entries(weight.phases).map(([phase, bytes]) => `${phase} ${kb(bytes)}`).join(', ')}; first visit ${kb(total(weight))}`);
    const times = await measureCalls(browser, node.origin, settings.calls);
    log(`click on Call to connected: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms; median ${median(times).toFixed(0)} ms`);
    machine.loadAverageAfter = loadavg()[0];
    writeFileSync(join(outDir, 'page.json'), `${JSON.stringify({ machine, settings, origin: node.origin, weight, callMs: times }, null, 2)}\n`);
    writeSection(join(root, 'bench/RESULTS.md'), section(weight, times, machine), { after: STUN_HEADING });
    log('wrote the page section of bench/RESULTS.md; raw numbers in bench/out/page.json');
  } finally {
    await browser.close();
  }
}

function section(weight, times, machine) {
  const met = (ok) => (ok ? 'met' : 'not met');
  const firstVisit = total(weight);
  const callMedian = median(times);
  const [loginPhase] = Object.keys(weight.phases);
  return [
    HEADING,
    '',
    'What the browser softphone page costs: the bytes a first visit transfers and the time from a click on',
    "Call to a connected call, in Debian's headless Chromium against a node on 127.0.0.1. Written by",
    '`npm run bench` (bench/page-bench.mjs); raw numbers in `bench/out/page.json`.',
    '',
    '| what | measured | goal |',
    '|---|---:|---|',
    `| page weight to the login screen | ${kb(weight.phases[loginPhase])} | |`,
    `| page weight of a first visit (to a registered phone) | ${kb(firstVisit)} | under 150 KB: ${met(firstVisit < GOALS.weightBytes)} |`,
    `| click on Call to connected, median of ${times.length} | ${fmt(callMedian, 0)} ms | under 1 s: ${met(callMedian < GOALS.callMs)} |`,
    '',
    `- each call (ms): ${times.map((ms) => fmt(ms, 0)).join(', ')}; min ${fmt(Math.min(...times), 0)}, max ${fmt(Math.max(...times), 0)}`,
    `- ${weight.requests} requests of the first visit, all to the node's own origin (https:// and wss:// 127.0.0.1)` +
      `; the service worker ${weight.serviceWorker ? 'installed' : 'did not install'}`,
    '',
    '| phase | fetched by | path | content-encoding | status | bytes |',
    '|---|---|---|---|---:|---:|',
    ...weight.files.map((f) => `| ${f.phase} | ${f.by} | ${f.path} | ${f.encoding} | ${f.status} | ${f.bytes} |`),
    `| | | | | total | ${firstVisit} |`,
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before the run, ${fmt(machine.loadAverageAfter, 2)} after`,
    `- Node ${machine.node}; Chromium ${machine.chromium}; playwright-core ${machine.playwright}`,
    '',
    '## Method',
    '',
    '- The node: `trucada serve` from the bundle with a fresh data dir (no account, sign-up open) on',
    '  127.0.0.1, mDNS, bmx and shared state off. Chromium: headless, fake microphone and camera with',
    "  permission granted, the node's self-signed certificate taken as trusted (--ignore-certificate-errors),",
    '  as an installed one would be: only then does Chromium register the service worker.',
    '- Page weight: a fresh browser context (empty cache) opens `/`; every response the page and its service',
    "  worker receive is counted: raw response headers plus the body as sent (the node's brotli or gzip copy",
    "  when the browser accepts it), as Chromium reports them (for the page's own requests that is",
    "  Network.loadingFinished's encodedDataLength). First up to the login form shown and no request in flight",
    '  for 300 ms (the service worker installs meanwhile and fetches the files it keeps for offline use; a',
    `  fetch its Resource Timing says came from the HTTP cache counts 0: ${weight.workerFromCache} of its ${weight.workerFetches} here), then through a`,
    '  sign-up on the form up to the phone registered (the Call button enabled), the service worker active,',
    '  and no request in flight for 300 ms.',
    '  The SIP WebSocket counts the payload of the frames received up to then. Not counted: TLS records and',
    '  handshakes, the WebSocket handshake and frame headers, and anything sent. KB: 1024 bytes.',
    '- Every request and WebSocket of every context is checked to go to the node\'s origin; the bench fails',
    '  otherwise.',
    `- Call setup: two more contexts sign up as caller and callee; ${times.length} calls from caller to callee, one at a`,
    "  time. The time is taken inside the caller's page: performance.now() right before its click on Call, to",
    '  the call panel showing the call connected (its timer shown: the caller received the 200 OK to its',
    "  INVITE). The callee's page answers by itself: a MutationObserver clicks Answer in the same task the",
    '  page shows it, so the answer click is part of the measured time but no human or test-side delay is.',
    '  Also inside it: getUserMedia on both sides (fake devices), ICE gathering on loopback and both SIP legs',
    "  through the node over wss://. After each call the caller hangs up and both pages' dial box must show",
    '  again before the next. No unmeasured warm-up call: the first one is in the median too.',
    '',
  ];
}

function total(weight) {
  return Object.values(weight.phases).reduce((a, b) => a + b, 0);
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

function positiveInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return n;
}
