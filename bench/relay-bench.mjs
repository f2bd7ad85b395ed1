// The media relay bench (issue 14 item 4): what rtpengine costs a router for calls between browsers
// and plain RTP phones, as the node sets them up. Debian's rtpengine runs in userspace (no kernel
// module, as on a router) on 127.0.0.1. For each step of N calls at once, N RTCPeerConnections in
// one headless Chromium page (fake microphone, PCMU) are offered to rtpengine with the node's own
// ng parameters (src/media/relay-params.ts, bundled by bench/lib/ng-client.mjs) towards a plain
// phone, whose side is a UDP socket here that sends every RTP packet back where it came from (a
// phone that echoes); rtpengine's answer goes back to the page. Once every call has media both ways,
// rtpengine's CPU time (utime + stime from /proc, all its threads) is taken over a window, less what
// it used idle over as long before the calls. Each packet is DTLS-SRTP decrypted or encrypted on the
// browser side and passed as plain RTP on the phone side: the work of every relayed call.
// The node itself is not in the media path; its signalling cost per call is in the call bench.
// There is no reference in this run: rtpengine is the relay the node drives, not an alternative.
// Replaces the "Media relay bench" section of bench/RESULTS.md and writes bench/out/relay.json.
// Run by bench/run.sh, or alone: node bench/relay-bench.mjs
//
// Settings (environment): BENCH_RELAY_CALLS (10,30: the steps), BENCH_RELAY_SECONDS (15 per window).
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { haveChromium, launchChromium } from './lib/chromium.mjs';
import { startHarness } from './lib/harness.mjs';
import { describeMachine } from './lib/machine.mjs';
import { loadNgClient } from './lib/ng-client.mjs';
import { freeTcpPort } from './lib/ports.mjs';
import { writeSection } from './lib/results.mjs';
import { fmt } from './lib/stats.mjs';

const HEADING = '# Media relay bench';
const RTPENGINE = '/usr/bin/rtpengine';
const HOST = '127.0.0.1';
const TICKS_PER_SECOND = 100;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench/out');
const workDir = join(outDir, 'relay');
const steps = (process.env.BENCH_RELAY_CALLS ?? '10,30').split(',').map(Number);
const windowSeconds = Number(process.env.BENCH_RELAY_SECONDS ?? 15);
const log = (line) => console.log(`relay bench: ${line}`);

/** CPU seconds of one process, all its threads. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** The page: a secure context (http://127.0.0.1) where RTCPeerConnections get the fake microphone. */
const PAGE = `<!doctype html><title>relay bench</title><script>
window.pcs = [];
window.makeOffer = async (i) => {
  window.mic ??= await navigator.mediaDevices.getUserMedia({ audio: true });
  const pc = new RTCPeerConnection();
  window.pcs[i] = pc;
  for (const track of window.mic.getAudioTracks()) pc.addTrack(track, window.mic);
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => { pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()); setTimeout(resolve, 3000); });
  }
  return pc.localDescription.sdp;
};
window.takeAnswer = (i, sdp) => window.pcs[i].setRemoteDescription({ type: 'answer', sdp });
window.received = async () => Promise.all(window.pcs.map(async (pc) => {
  let packets = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'audio') packets += s.packetsReceived; });
  return packets;
}));
</script>`;

function startPageServer() {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE));
  return new Promise((resolve) => server.listen(0, HOST, () => resolve(server)));
}

/** A plain phone that sends each RTP packet back to where it came from, counting them. */
function echoPhone() {
  const socket = createSocket('udp4');
  const phone = { socket, packets: 0, port: 0 };
  socket.on('message', (data, from) => {
    phone.packets++;
    socket.send(data, from.port, from.address);
  });
  return new Promise((resolve) => socket.bind(0, HOST, () => resolve(Object.assign(phone, { port: socket.address().port }))));
}

const phoneSdp = (port) => `v=0\r\no=phone 1 1 IN IP4 ${HOST}\r\ns=-\r\nc=IN IP4 ${HOST}\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n`;

async function startRtpengine(groups, ngPort, maxCalls) {
  const logFile = join(workDir, 'rtpengine.log');
  const target = groups.start(RTPENGINE, [
    '--config-file=none', '--foreground', '--log-stderr', '--table=-1', `--interface=${HOST}`,
    `--listen-ng=${HOST}:${ngPort}`, '--port-min=30000', `--port-max=${30000 + maxCalls * 8}`,
  ], { logFile });
  for (let i = 0; i < 50; i++) {
    if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('Startup complete')) return target;
    await sleep(100);
  }
  throw new Error(`rtpengine did not start: see ${logFile}`);
}

async function measureStep(n, { page, ng, ngApi, pid }) {
  const phones = [];
  const legs = [];
  for (let i = 0; i < n; i++) {
    const phone = await echoPhone();
    phones.push(phone);
    const leg = { callId: `relay-bench-${n}-${i}`, fromTag: 'browser', viaBranch: 'branch0' };
    legs.push(leg);
    const offer = await page.evaluate((i) => window.makeOffer(i), i);
    await ng.request('offer', ngApi.offerParams(leg, offer, 'plain'));
    const answer = await ng.request('answer', ngApi.answerParams({ ...leg, toTag: 'phone' }, phoneSdp(phone.port), 'webrtc'));
    await page.evaluate(([i, sdp]) => window.takeAnswer(i, sdp), [i, answer.sdp]);
  }
  const deadline = Date.now() + 20_000;
  let received = [];
  while (Date.now() < deadline) {
    received = await page.evaluate(() => window.received());
    if (received.length === n && received.every((p) => p > 0) && phones.every((p) => p.packets > 0)) break;
    await sleep(250);
  }
  const flowing = received.filter((p) => p > 0).length;
  if (flowing < n) log(`${n} calls: media flows in only ${flowing}`);
  const phoneBefore = phones.reduce((a, p) => a + p.packets, 0);
  const pageBefore = received.reduce((a, p) => a + p, 0);
  const cpuBefore = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(windowSeconds * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const phonePackets = phones.reduce((a, p) => a + p.packets, 0) - phoneBefore;
  const pagePackets = (await page.evaluate(() => window.received())).reduce((a, p) => a + p, 0) - pageBefore;
  for (const leg of legs) await ng.request('delete', ngApi.deleteParams(leg));
  await page.evaluate(() => {
    for (const pc of window.pcs) pc.close();
    window.pcs = [];
  });
  for (const phone of phones) phone.socket.close();
  // Each echoed packet crosses rtpengine twice: browser to phone, and back.
  const packetsPerSecond = (phonePackets + pagePackets) / seconds;
  return { calls: n, flowing, seconds, cpuSeconds: cpu, coreShare: cpu / seconds, packetsPerSecond };
}

function write(machine, idle, rows) {
  const json = { machine, settings: { steps, windowSeconds }, idleCoreShare: idle, rows };
  writeFileSync(join(outDir, 'relay.json'), `${JSON.stringify(json, null, 2)}\n`);
  const perCall = rows.map((r) => Math.max(0, r.coreShare - idle) / r.calls);
  const lines = [
    HEADING,
    '',
    'What rtpengine costs for calls between a browser and a plain RTP phone, set up as the node sets them up: Debian\'s',
    'rtpengine in userspace on 127.0.0.1, N WebRTC calls at once from one headless Chromium page (fake microphone, PCMU),',
    'each answered by a plain phone that echoes its RTP. Written by `npm run bench` (bench/relay-bench.mjs); raw results',
    'in `bench/out/relay.json`. The node is not in the media path (its part is signalling: see the call bench); no',
    'reference runs here, as rtpengine is itself the relay the node drives.',
    '',
    '| calls at once | with media both ways | rtpengine CPU, share of one core | packets relayed per second | per call, share of one core (idle taken off) | calls under one core at that rate |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r, i) => `| ${r.calls} | ${r.flowing} | ${fmt(r.coreShare, 3)} | ${fmt(r.packetsPerSecond, 0)} | ${fmt(perCall[i], 4)} | ${perCall[i] > 0 ? fmt(Math.floor(1 / perCall[i]), 0) : 'n/a'} |`),
    '',
    `- rtpengine idle: ${fmt(idle, 4)} of one core.`,
    `- Window: ${windowSeconds} s per step, after every call had media both ways.`,
    '- Each packet crosses rtpengine twice (the browser\'s to the phone and its echo back); on the browser\'s side it is',
    '  SRTP (decrypted, or encrypted), on the phone\'s plain RTP. A router\'s core is several times slower than this',
    '  machine\'s: divide the last column by that factor.',
    '',
    '## Machine',
    '',
    `- date: ${machine.date}`,
    `- CPU: ${machine.cpu}, nproc ${machine.nproc}; Linux ${machine.kernel}; load average (1 min) ${fmt(machine.loadAverage, 2)} before the run, ${fmt(machine.loadAfter, 2)} after`,
    `- Node ${machine.node}; ${machine.rtpengine}`,
    '',
  ];
  writeSection(join(root, 'bench/RESULTS.md'), lines, { after: '# Call bench' });
}

const { groups, run } = startHarness({ outDir, workDir, name: 'relay', label: 'relay', log });
await run(async () => {
  if (!existsSync(RTPENGINE)) throw new Error(`${RTPENGINE} missing (apt-get install rtpengine-daemon)`);
  if (!haveChromium()) throw new Error('/usr/bin/chromium missing (apt-get install chromium)');
  const machine = describeMachine();
  const version = spawnSync(RTPENGINE, ['--version'], { encoding: 'utf8' });
  machine.rtpengine = `rtpengine ${/Version: (\S+)/.exec(`${version.stdout}${version.stderr}`)?.[1] ?? 'unknown'}`;
  const ngApi = await loadNgClient(root, workDir);
  const ngPort = await freeTcpPort(HOST);
  const rtpengine = await startRtpengine(groups, ngPort, Math.max(...steps));
  const ng = new ngApi.NgClient({ address: { host: HOST, port: ngPort }, logger: { error: log, warn: log, info() {}, debug() {} } });
  const server = await startPageServer();
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://${HOST}:${server.address().port}/`);
    const idleBefore = cpuSeconds(rtpengine.pid);
    await sleep(5000);
    const idle = (cpuSeconds(rtpengine.pid) - idleBefore) / 5;
    const rows = [];
    for (const n of steps) {
      const row = await measureStep(n, { page, ng, ngApi, pid: rtpengine.pid });
      log(`${n} calls: ${fmt(row.coreShare, 3)} of a core, ${fmt(row.packetsPerSecond, 0)} packets/s`);
      rows.push(row);
    }
    machine.loadAfter = loadavg()[0];
    write(machine, idle, rows);
  } finally {
    ng.close();
    await browser.close();
    server.close();
  }
});
