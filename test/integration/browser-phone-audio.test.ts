/**
 * Browser ↔ desk phone audio through rtpengine (issue 14): Debian's rtpengine in userspace on
 * loopback, the call page in headless Chromium with its fake microphone over wss://, and a plain
 * G.711 phone: sipp for its SIP, rtp-phone.ts for its RTP, sending to where the SDP it got says.
 *
 *   - the page calls the phone: the phone is offered RTP/AVP at rtpengine's address with no ICE or
 *     DTLS, the page gets DTLS-SRTP back; sound arrives at both ends; the page hangs up and
 *     rtpengine has no call left;
 *   - the phone calls the page, the same the other way round, and the phone hangs up;
 *   - sipp itself, as the phone, plays Debian's G.711 recording with its pcap play, and the page
 *     hears it;
 *   - two browsers, and two phones, call each other without the relay.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { silentLogger } from '../../src/log.js';
import { NgClient } from '../../src/media/ng-client.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { pageUser } from '../helpers/page-user.js';
import { freePorts } from '../helpers/ports.js';
import { rtpengineMissing, startRtpengine, type Rtpengine } from '../helpers/rtpengine.js';
import { startRtpPhone, type RtpPhone } from '../helpers/rtp-phone.js';
import { registerSippDevice, runSippCaller, startSippCaller } from '../helpers/sipp-peers.js';
import { until } from '../helpers/sip-ua.js';
import { startTestNode, type TestNode } from '../helpers/test-node.js';

const INDEX = fileURLToPath(new URL('../../dist/www/index.html', import.meta.url));
const skip = rtpengineMissing || chromiumMissing || (existsSync(INDEX) ? false : 'the page is not built (npm run build)');
const DESK = { desk: 'desk-secret-1', phone2: 'phone2-secret' };

async function relayedNode(t: Test): Promise<{ node: TestNode; rtpe: Rtpengine; calls: () => Promise<string[]> }> {
  const rtpe = await startRtpengine(t);
  const node = await startTestNode(t, DESK, { rtpengine: { host: '127.0.0.1', port: rtpe.ngPort } });
  await until(() => node.logs.some((l) => /media relay rtpengine at .* is up/.test(l)), 'the relay to answer its first ping');
  const ng = new NgClient({ address: { host: '127.0.0.1', port: rtpe.ngPort }, logger: silentLogger });
  t.teardown(() => ng.close());
  const calls = async () => ((await ng.request('list')).calls as string[] | undefined) ?? [];
  return { node, rtpe, calls };
}

/** rtpengine deletes a call when the node asks, a moment after the BYE: polled, bounded. */
async function noCallLeft(t: Test, calls: () => Promise<string[]>, what: string): Promise<void> {
  let left = await calls();
  for (let i = 0; i < 50 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await calls();
  }
  t.same(left, [], what);
}

/** The audio address of an SDP: its session or media c= line and its first m= port. */
function mediaAddress(t: Test, sdp: string, rtpe: Rtpengine, what: string): { host: string; port: number } {
  t.match(sdp, /^m=audio \d+ RTP\/AVP [\d ]*\b0\b/m, `${what}: plain RTP/AVP with PCMU`);
  t.notMatch(sdp, /^a=(ice-ufrag|candidate|fingerprint|setup|crypto)\b/m, `${what}: no ICE, DTLS or SDES`);
  const host = /^c=IN IP4 (\S+)/m.exec(sdp)?.[1] ?? '';
  const port = Number(/^m=audio (\d+)/m.exec(sdp)?.[1]);
  t.ok(port >= rtpe.rtpPorts[0] && port <= rtpe.rtpPorts[1], `${what}: a port of rtpengine's (${port})`);
  return { host, port };
}

function sdpOf(message: { text: string }): string {
  return message.text.split(/\r\n\r\n/).slice(1).join('\r\n\r\n');
}

/** The page's readout of the call: packets and audio energy received (`inbound-rtp`). */
async function soundAtPage(page: Page): Promise<{ packets: number; energy: number }> {
  await page.waitForFunction(() => {
    const q = document.querySelector<HTMLElement>('.call-quality')?.dataset;
    return Number(q?.packetsReceived ?? 0) > 50 && Number(q?.totalAudioEnergy ?? 0) > 0;
  });
  const q = await page.$eval('.call-quality', (e) => ({ ...(e as HTMLElement).dataset }));
  return { packets: Number(q.packetsReceived), energy: Number(q.totalAudioEnergy) };
}

/**
 * The phone sends where the SDP it got says (rtpengine's RTP/AVP address), the page shows the call
 * connected, and each end hears the other: packets with sound in them.
 */
async function talk(t: Test, o: { page: Page; phone: RtpPhone; sdp: string; rtpe: Rtpengine; what: string }): Promise<void> {
  const to = mediaAddress(t, o.sdp, o.rtpe, o.what);
  o.phone.sendTo(to.host, to.port);
  await o.page.getByText('In a call with desk').waitFor();
  const heard = await soundAtPage(o.page);
  t.ok(heard.packets > 50 && heard.energy > 0, `the page hears the phone (${heard.packets} packets)`);
  await until(() => o.phone.packets(0) > 50 && o.phone.energy() > 1e-4, 'PCMU with sound to reach the phone', 15_000);
  t.ok(o.phone.packets(0) > 50, `the phone receives PCMU (${o.phone.packets(0)} packets)`);
  t.ok(o.phone.energy() > 1e-4, `with sound in it (mean square ${o.phone.energy().toExponential(2)})`);
}

t.test('the page calls a desk phone: sound both ways through rtpengine, none left after the page hangs up', { skip, timeout: 90_000 }, async (t) => {
  const { node, rtpe, calls } = await relayedNode(t);
  const media = await startRtpPhone(t);
  const phone = await registerSippDevice(t, node, { user: 'desk', password: DESK.desk, scenario: 'phone-callee.xml', keys: { mport: String(media.port) }, seconds: 60 });
  const browser = await launchChromium(t);
  const alice = await pageUser(browser, `https://127.0.0.1:${node.config.httpsPort}/`, 'alice');

  await alice.fill('input[name=target]', 'desk');
  await alice.click('form.dial button[type=submit]');
  const invite = await phone.waitReceived(/^INVITE /, 'the INVITE at the phone');
  await talk(t, { page: alice, phone: media, sdp: sdpOf(invite), rtpe, what: 'the offer the phone gets' });
  t.same(await calls(), [invite.text.match(/^Call-ID:\s*(\S+)/im)?.[1]], 'rtpengine carries this one call');
  t.ok(node.logs.some((l) => /media relay: call .* goes through rtpengine \(webrtc to plain\)/.test(l)), 'the node says why');

  // Hold and resume: each re-INVITE reaches the phone rewritten by rtpengine, and sound comes back.
  await alice.click('button.hold');
  await alice.getByText('You put desk on hold').waitFor();
  const hold = sdpOf(phone.received(/^INVITE /)[1]!);
  mediaAddress(t, hold, rtpe, 'the hold re-INVITE at the phone');
  t.match(hold, /^a=sendonly/m, 'asks the phone to listen only');
  await alice.click('button.hold');
  await alice.getByText('In a call with desk').waitFor();
  t.match(sdpOf(phone.received(/^INVITE /)[2]!), /^a=sendrecv/m, 'the resume re-INVITE: both ways again');
  const before = media.packets(0);
  await until(() => media.packets(0) > before + 50, 'sound to reach the phone again after the resume', 10_000);

  await alice.click('button.hang-up:visible');
  await phone.waitReceived(/^BYE /, 'the BYE at the phone');
  await noCallLeft(t, calls, 'the page hung up: rtpengine has no session left');
});

t.test('a desk phone calls the page: sound both ways through rtpengine, none left after the phone hangs up', { skip, timeout: 90_000 }, async (t) => {
  const { node, rtpe, calls } = await relayedNode(t);
  const media = await startRtpPhone(t);
  const browser = await launchChromium(t);
  const bob = await pageUser(browser, `https://127.0.0.1:${node.config.httpsPort}/`, 'bob');

  const call = await startSippCaller(t, node, {
    scenario: 'phone-caller.xml', user: 'desk', password: DESK.desk, callee: 'bob',
    keys: { mport: String(media.port) }, pauseMs: 12_000, timeoutSeconds: 40,
  });
  await bob.getByText('desk is calling').waitFor();
  await bob.click('button.answer');
  const ok = await call.waitReceived(/^SIP\/2\.0 200 /, 'the 200 at the phone');
  await talk(t, { page: bob, phone: media, sdp: sdpOf(ok), rtpe, what: 'the answer the phone gets' });
  t.equal((await calls()).length, 1, 'rtpengine carries the call');

  const ended = await call.done;
  t.equal(ended.code, 0, 'the phone hung up and its BYE was answered', { output: ended.output });
  await bob.locator('form.dial').waitFor({ state: 'visible' });
  await noCallLeft(t, calls, 'the phone hung up: rtpengine has no session left');
});

t.test('a desk phone plays a recording to the page with sipp\'s pcap play: the page hears it through rtpengine', { skip, timeout: 60_000 }, async (t) => {
  const { node, rtpe, calls } = await relayedNode(t);
  const [mediaPort] = (await freePorts(1)) as [number];
  const phone = await registerSippDevice(t, node, { user: 'desk', password: DESK.desk, scenario: 'phone-callee-plays.xml', mediaPort, seconds: 40 });
  const browser = await launchChromium(t);
  const alice = await pageUser(browser, `https://127.0.0.1:${node.config.httpsPort}/`, 'alice');
  await alice.fill('input[name=target]', 'desk');
  await alice.click('form.dial button[type=submit]');
  const invite = await phone.waitReceived(/^INVITE /, 'the INVITE at the phone');
  mediaAddress(t, sdpOf(invite), rtpe, 'the offer the phone gets');
  await alice.getByText('In a call with desk').waitFor();
  const heard = await soundAtPage(alice);
  t.ok(heard.packets > 50 && heard.energy > 0, `the page hears the recording in PCMA (${heard.packets} packets)`);
  await alice.click('button.hang-up:visible');
  await phone.waitReceived(/^BYE /, 'the BYE at the phone');
  await noCallLeft(t, calls, 'rtpengine has no session left');
});

t.test('two browsers, and two phones, call without the relay', { skip, timeout: 90_000 }, async (t) => {
  const { node, calls } = await relayedNode(t);
  const browser = await launchChromium(t);
  const url = `https://127.0.0.1:${node.config.httpsPort}/`;
  const [carol, dave] = [await pageUser(browser, url, 'carol'), await pageUser(browser, url, 'dave')];
  await carol.fill('input[name=target]', 'dave');
  await carol.click('form.dial button[type=submit]');
  await dave.getByText('carol is calling').waitFor();
  await dave.click('button.answer');
  await carol.getByText('In a call with dave').waitFor();
  t.ok((await soundAtPage(carol)).packets > 50, 'the browsers hear each other');
  t.same(await calls(), [], 'with no relay between them');
  await carol.click('button.hang-up:visible');

  const callee = await registerSippDevice(t, node, { user: 'phone2', password: DESK.phone2, scenario: 'call-callee.xml' });
  const result = await runSippCaller(t, node, { scenario: 'call-caller.xml', user: 'desk', password: DESK.desk, callee: 'phone2', pauseMs: 1000 });
  t.equal(result.code, 0, 'the phones\' call went through');
  t.match(sdpOf(result.received(/^SIP\/2\.0 200 /)[0]!), /^m=audio 6002 /m, 'the caller got the callee\'s own SDP');
  t.match(sdpOf(callee.received(/^INVITE /)[0]!), /^m=audio 6000 /m, 'as the callee got the caller\'s');
  t.notOk(node.logs.some((l) => /goes through rtpengine/.test(l)), 'no call went through the relay');
});
