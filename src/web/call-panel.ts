/**
 * One call on screen: who and in what state, the timer once answered, Answer/Decline while it
 * rings here, Mute, Hold, Video and Hang up otherwise, the other side's audio and video (with this
 * side's camera beside it) and the call quality (chart and readout).
 */
import { endMessage } from './call-messages.js';
import { watchQuality } from './call-quality.js';
import { startTimer } from './call-timer.js';
import { startRinging } from './ring.js';
import { el, show } from './dom.js';
import type { Call, CallEnd, CallEvents, CallState, HoldState, VideoState } from './phone/phone.js';
import { createQualityChart } from './quality-chart.js';
import { text } from './strings.js';

export interface CallPanel {
  readonly root: HTMLElement;
  readonly events: CallEvents;
  /** Attaches the call; for an outgoing one `events` went to `Phone.call` first. */
  attach(call: Call): void;
}

/**
 * `onEnded` gets the sentence to show, or undefined when the call simply ended, and the full names
 * to offer when the name dialled is someone on each of several nodes.
 */
export function createCallPanel(peer: string, onEnded: (message: string | undefined, choices: string[]) => void): CallPanel {
  let call: Call | undefined;
  let rang = false;
  let muted = false;
  const stops: Array<() => void> = [];

  const status = el('p', { class: 'call-status', 'aria-live': 'polite' });
  const timer = el('span', { class: 'call-timer', 'aria-label': text('callTime') });
  const quality = el('output', { class: 'call-quality', 'aria-label': text('quality') });
  const chart = createQualityChart();
  const qualityView = el('div', { class: 'quality' }, chart.root, quality);
  const audio = el('audio', { autoplay: '', 'aria-label': text('remoteAudio') });
  const answer = el('button', { type: 'button', class: 'answer' }, text('answer'));
  const decline = el('button', { type: 'button', class: 'hang-up' }, text('decline'));
  const mute = el('button', { type: 'button', 'aria-pressed': 'false' }, text('mute'));
  const hold = el('button', { type: 'button', class: 'hold', 'aria-pressed': 'false' }, text('hold'));
  const video = el('button', { type: 'button', class: 'video', 'aria-pressed': 'false' }, text('videoOn'));
  const hangUp = el('button', { type: 'button', class: 'hang-up' }, text('hangUp'));
  // Muted: the sound plays through `audio`, the one element that has the whole remote stream.
  const remoteVideo = el('video', { class: 'remote-video', autoplay: '', playsinline: '', muted: '', 'aria-label': text('remoteVideo') });
  const localVideo = el('video', { class: 'local-video', autoplay: '', playsinline: '', muted: '', 'aria-label': text('localVideo') });
  remoteVideo.muted = true;
  localVideo.muted = true;
  const videos = el('div', { class: 'videos' }, remoteVideo, localVideo);
  const ringingHere = el('div', { class: 'buttons' }, answer, decline);
  const keys = '123456789*0#'.split('').map((k) => {
    const b = el('button', { type: 'button', class: 'secondary key', 'data-tone': k }, k);
    b.addEventListener('click', () => {
      if (call?.sendTone(k)) sent.textContent += k;
    });
    return b;
  });
  const sent = el('output', { class: 'tones', 'aria-label': text('tonesSent') });
  const keypad = el('div', { class: 'keypad', role: 'group', 'aria-label': text('keypad') }, ...keys);
  const inCall = el('div', { class: 'buttons' }, mute, hold, video, hangUp);
  const root = el('section', { class: 'call', 'aria-label': peer }, status, videos, timer, qualityView, ringingHere, inCall, keypad, sent, audio);

  answer.addEventListener('click', () => call?.answer());
  decline.addEventListener('click', () => call?.hangUp());
  hangUp.addEventListener('click', () => call?.hangUp());
  mute.addEventListener('click', () => {
    muted = !muted;
    call?.setMuted(muted);
    mute.setAttribute('aria-pressed', String(muted));
    mute.textContent = text(muted ? 'unmute' : 'mute');
  });

  let held: HoldState = { local: false, remote: false };
  hold.addEventListener('click', () => {
    if (call === undefined) return;
    hold.disabled = true;
    const want = !held.local;
    void call.setHeld(want).then((ok) => {
      hold.disabled = false;
      if (!ok) status.textContent = text(want ? 'holdRefused' : 'resumeRefused', { peer });
    });
  });
  const showHold = (h: HoldState) => {
    held = h;
    hold.setAttribute('aria-pressed', String(h.local));
    hold.textContent = text(h.local ? 'resume' : 'hold');
    status.textContent = h.local ? text('onHold', { peer }) : h.remote ? text('heldByPeer', { peer }) : text('inCall', { peer });
  };

  video.addEventListener('click', () => {
    if (call === undefined) return;
    video.disabled = true;
    const want = video.getAttribute('aria-pressed') !== 'true';
    void call.setVideo(want).then((outcome) => {
      video.disabled = false;
      if (outcome.kind === 'refused') status.textContent = text('videoRefused', { peer });
      if (outcome.kind === 'media') status.textContent = text(outcome.error === 'NotAllowedError' ? 'cameraDenied' : 'cameraMissing');
    });
  });
  const play = (element: HTMLVideoElement, track: MediaStreamTrack | undefined) => {
    show(element, track !== undefined);
    if (track === undefined) return void (element.srcObject = null);
    if ((element.srcObject as MediaStream | null)?.getTracks()[0] !== track) element.srcObject = new MediaStream([track]);
    void element.play().catch(() => {});
  };
  const showVideo = (v: VideoState) => {
    video.setAttribute('aria-pressed', String(v.local));
    video.textContent = text(v.local ? 'videoOff' : 'videoOn');
    play(remoteVideo, call?.remoteVideo());
    play(localVideo, call?.localVideo());
    show(videos, v.local || v.remote);
  };

  const connected = () => {
    if (call === undefined) return;
    const stream = call.remoteStream();
    if (stream !== undefined) {
      audio.srcObject = stream;
      void audio.play().catch(() => {});
    }
    stops.push(startTimer(timer), watchQuality(() => call?.peerConnection(), quality, chart));
  };

  let stopRinging: (() => void) | undefined;
  const render = (state: CallState, end?: CallEnd) => {
    if (state === 'incoming') stopRinging ??= startRinging(peer);
    else stopRinging?.();
    status.textContent = {
      calling: text('calling', { peer }),
      ringing: text('ringing', { peer }),
      incoming: text('incoming', { peer }),
      connected: text('inCall', { peer }),
      ended: text('callEnded'),
    }[state];
    show(ringingHere, state === 'incoming');
    show(inCall, state !== 'incoming' && state !== 'ended');
    show(timer, state === 'connected');
    show(qualityView, state === 'connected');
    show(keypad, state === 'connected');
    show(hold, state === 'connected');
    show(video, state === 'connected');
    if (state !== 'connected') show(videos, false);
    if (state === 'ringing') rang = true;
    if (state === 'connected') connected();
    if (state === 'ended') {
      for (const stop of stops.splice(0)) stop();
      audio.srcObject = null;
      remoteVideo.srcObject = null;
      localVideo.srcObject = null;
      onEnded(end === undefined ? undefined : endMessage(end, peer, rang), end?.kind === 'choose' ? end.choices : []);
    }
  };

  const events: CallEvents = { onState: render, onHold: showHold, onVideo: showVideo };
  return {
    root,
    events,
    attach(c) {
      call = c;
      render(c.state);
      if (c.state === 'incoming') c.listen(events);
      (c.state === 'incoming' ? answer : hangUp).focus();
    },
  };
}
