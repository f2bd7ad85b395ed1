/**
 * ICE candidate gathering in a headless Chromium page, for the tests of the node's STUN: the
 * candidates an RTCPeerConnection with the given servers finds, and how long gathering took.
 */
import type { Page } from 'playwright-core';

export interface Gathered {
  candidates: string[];
  /** Milliseconds from setLocalDescription to the end-of-candidates event (or to giving up). */
  gatheringMs: number;
  state: RTCIceGatheringState;
}

/** Gathers candidates in the page with `iceServers` as its only servers (bounded: 3 s). */
export function gather(page: Page, iceServers: RTCIceServer[]): Promise<Gathered> {
  return page.evaluate(async (iceServers) => {
    const pc = new RTCPeerConnection({ iceServers });
    // A data channel gives the offer an m-line, so that ICE has something to gather for.
    pc.createDataChannel('probe');
    const candidates: string[] = [];
    const complete = new Promise<void>((resolve) => {
      pc.onicecandidate = (e) => (e.candidate ? candidates.push(e.candidate.candidate) : resolve());
    });
    const started = performance.now();
    await pc.setLocalDescription(await pc.createOffer());
    await Promise.race([complete, new Promise((resolve) => setTimeout(resolve, 3000))]);
    const gatheringMs = performance.now() - started;
    const state = pc.iceGatheringState;
    pc.close();
    return { candidates, gatheringMs, state };
  }, iceServers);
}

/** A candidate's type: host, srflx, prflx or relay. */
export const typ = (candidate: string) => / typ (\w+)/.exec(candidate)?.[1];
/** RFC 8839 §5.1 candidate-attribute: connection-address and port are the 5th and 6th fields. */
export const addressOf = (candidate: string) => candidate.split(' ').slice(4, 6).join(':');
/** The connection-address alone. */
export const hostOf = (candidate: string) => candidate.split(' ')[4];
/** The rel-addr of a srflx or relay candidate. */
export const relatedOf = (candidate: string) => / raddr (\S+)/.exec(candidate)?.[1];
