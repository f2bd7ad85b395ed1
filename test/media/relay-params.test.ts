/**
 * The offer and answer parameters against Debian's rtpengine and headless Chromium: a browser's
 * offer becomes RTP/AVP for a plain phone and the phone's answer DTLS-SRTP with ICE that Chromium
 * takes, and the other way round; two ends of one kind need no relay.
 */
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { silentLogger } from '../../src/log.js';
import { kindOfTransport, mediaKind } from '../../src/media/media-kind.js';
import { NgClient } from '../../src/media/ng-client.js';
import { answerParams, deleteParams, needsRelay, offerParams } from '../../src/media/relay-params.js';
import { chromiumMissing, launchChromium } from '../helpers/chromium.js';
import { rtpengineMissing, startRtpengine } from '../helpers/rtpengine.js';

const sdp = (name: string) => readFileSync(new URL(`../fixtures/sdp/${name}.sdp`, import.meta.url), 'utf8');

/** What a plain RTP phone can use: RTP/AVP, no ICE, no DTLS fingerprint, RTCP on its own port. */
function looksPlain(t: Test, s: string, what: string): void {
  t.match(s, /^m=audio \d+ RTP\/AVP /m, `${what}: RTP/AVP`);
  t.notMatch(s, /^a=(ice-ufrag|ice-pwd|candidate|fingerprint|setup|rtcp-mux)\b/m, `${what}: no ICE, DTLS or rtcp-mux`);
  t.match(s, /^c=IN IP4 127\.0\.0\.1/m, `${what}: rtpengine's address`);
}

/** What a browser requires: UDP/TLS/RTP/SAVPF with ICE credentials and candidates, a fingerprint, setup, mid and rtcp-mux. */
function looksWebrtc(t: Test, s: string, what: string): void {
  t.match(s, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF /m, `${what}: DTLS-SRTP`);
  for (const a of ['ice-ufrag', 'ice-pwd', 'candidate', 'fingerprint', 'setup', 'mid', 'rtcp-mux']) t.match(s, new RegExp(`^a=${a}\\b`, 'm'), `${what}: a=${a}`);
  t.notMatch(s, /^a=crypto:/m, `${what}: no SDES keys`);
}

t.test('media kinds from SDP and from transports', async (t) => {
  t.equal(mediaKind(sdp('chromium-offer')), 'webrtc');
  t.equal(mediaKind(sdp('phone-offer')), 'plain');
  t.equal(mediaKind('v=0\r\ns=-\r\n'), undefined, 'no media line');
  t.equal(mediaKind('m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n'), 'webrtc');
  t.equal(kindOfTransport('wss'), 'webrtc');
  t.equal(kindOfTransport('ws'), 'webrtc');
  t.equal(kindOfTransport('udp'), 'plain');
  t.equal(kindOfTransport('tcp'), 'plain');
  t.ok(needsRelay('webrtc', 'plain'));
  t.ok(needsRelay('plain', 'webrtc'));
  t.notOk(needsRelay('webrtc', 'webrtc'), 'two browsers meet directly');
  t.notOk(needsRelay('plain', 'plain'), 'two phones meet directly');
  t.ok(needsRelay('plain', 'plain', true), 'unless every call is relayed');
});

t.test('browser calls phone, and phone calls browser: Chromium and the real rtpengine take each other\'s SDP', { skip: rtpengineMissing || chromiumMissing }, async (t) => {
  const rtpe = await startRtpengine(t);
  const ng = new NgClient({ address: { host: '127.0.0.1', port: rtpe.ngPort }, logger: silentLogger });
  t.teardown(() => ng.close());
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  await page.evaluate(() => {
    (window as unknown as { pcs: RTCPeerConnection[] }).pcs = [new RTCPeerConnection(), new RTCPeerConnection()];
  });

  // The browser calls: its offer goes to the phone as RTP/AVP, the phone's answer back as DTLS-SRTP.
  const browserOffer = await page.evaluate(async () => {
    const pc = (window as unknown as { pcs: RTCPeerConnection[] }).pcs[0]!;
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    return offer.sdp!;
  });
  t.equal(mediaKind(browserOffer), 'webrtc');
  const fromBrowser = { callId: 'relay-1@127.0.0.1', fromTag: 'browser', viaBranch: 'z9hG4bK1' };
  const offer = await ng.request('offer', offerParams(fromBrowser, browserOffer, 'plain'));
  looksPlain(t, String(offer.sdp), 'the offer to the phone');
  const answer = await ng.request('answer', answerParams({ ...fromBrowser, toTag: 'phone' }, sdp('phone-answer'), 'webrtc'));
  looksWebrtc(t, String(answer.sdp), 'the answer to the browser');
  const taken = await page.evaluate(async (sdp) => {
    await (window as unknown as { pcs: RTCPeerConnection[] }).pcs[0]!.setRemoteDescription({ type: 'answer', sdp });
    return 'taken';
  }, String(answer.sdp));
  t.equal(taken, 'taken', 'Chromium takes the relayed answer');
  t.equal((await ng.request('delete', deleteParams(fromBrowser))).result, 'ok');

  // The phone calls: its offer reaches the browser as DTLS-SRTP with ICE, the browser's answer the phone as RTP/AVP.
  const fromPhone = { callId: 'relay-2@127.0.0.1', fromTag: 'phone', viaBranch: 'z9hG4bK2' };
  const offer2 = await ng.request('offer', offerParams(fromPhone, sdp('phone-offer'), 'webrtc'));
  looksWebrtc(t, String(offer2.sdp), 'the offer to the browser');
  const browserAnswer = await page.evaluate(async (sdp) => {
    const pc = (window as unknown as { pcs: RTCPeerConnection[] }).pcs[1]!;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    return answer.sdp!;
  }, String(offer2.sdp));
  const answer2 = await ng.request('answer', answerParams({ ...fromPhone, toTag: 'browser' }, browserAnswer, 'plain'));
  looksPlain(t, String(answer2.sdp), 'the answer to the phone');
  t.match(String(answer2.sdp), /^a=rtpmap:0 PCMU\/8000/m, 'in a codec the phone offered');
  t.equal((await ng.request('delete', deleteParams(fromPhone))).result, 'ok');
  t.notMatch(rtpe.output.join(''), /\b(ERR|WARNING)\b/, 'rtpengine logged no warning');
});

t.test('a phone that speaks only G.729 calls a browser: the browser is offered PCMU as well and the phone is answered in G.729', { skip: rtpengineMissing || chromiumMissing }, async (t) => {
  const rtpe = await startRtpengine(t);
  const ng = new NgClient({ address: { host: '127.0.0.1', port: rtpe.ngPort }, logger: silentLogger });
  t.teardown(() => ng.close());
  const page = await (await launchChromium(t)).newPage();
  const g729 = ['v=0', 'o=phone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 7078 RTP/AVP 18', 'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=sendrecv', ''].join('\r\n');
  const leg = { callId: 'relay-g729@127.0.0.1', fromTag: 'phone', viaBranch: 'z9hG4bK3' };
  const offer = String((await ng.request('offer', offerParams(leg, g729, 'webrtc'))).sdp);
  t.match(offer, /^m=audio \d+ UDP\/TLS\/RTP\/SAVPF 18 0\b/m, 'G.729 as the phone offered it, and PCMU rtpengine can transcode to');
  const browserAnswer = await page.evaluate(async (sdp) => {
    const pc = new RTCPeerConnection();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    return answer.sdp!;
  }, offer);
  t.match(browserAnswer, /^m=audio 9 UDP\/TLS\/RTP\/SAVPF 0\b/m, 'Chromium takes PCMU');
  const answer = String((await ng.request('answer', answerParams({ ...leg, toTag: 'browser' }, browserAnswer, 'plain'))).sdp);
  t.match(answer, /^m=audio \d+ RTP\/AVP 18\b/m, 'the phone is answered in its own G.729: rtpengine transcodes');
  t.equal((await ng.request('delete', deleteParams(leg))).result, 'ok');
});
