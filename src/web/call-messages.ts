/** What the page says when a call ends: one sentence per reason, from the final SIP status or the microphone error. */
import type { CallEnd } from './phone/phone.js';
import { text } from './strings.js';

/**
 * Undefined when the call simply ended (hung up, cancelled here). `rang`: the callee's device rang
 * before the refusal, so a 480 is the node's ring timeout rather than nobody being online.
 */
export function endMessage(end: CallEnd, peer: string, rang: boolean): string | undefined {
  switch (end.kind) {
    case 'hung-up':
    case 'cancelled':
      return undefined;
    case 'failed':
      return text('callBroke');
    case 'media':
      return mediaMessage(end.error);
    case 'refused':
      return refusalMessage(end.status, peer, rang);
    case 'choose':
      return text('severalNodes', { peer });
  }
}

/** getUserMedia's errors (W3C Media Capture §9.2): refused by the user or the browser, or no device. */
function mediaMessage(name: string): string {
  if (name === 'NotAllowedError' || name === 'SecurityError') return text('micRefused');
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return text('noMicrophone');
  return text('mediaFailed');
}

/** RFC 3261 §21.4–21.6 as a person reads them. */
function refusalMessage(status: number, peer: string, rang: boolean): string | undefined {
  switch (status) {
    case 487: // Request Terminated: our own CANCEL
      return undefined;
    case 404:
      return text('unknownUser', { peer });
    case 480:
      return text(rang ? 'noAnswer' : 'offline', { peer });
    case 408:
      return text('noAnswer', { peer });
    case 486:
    case 600:
      return text('busy', { peer });
    case 603:
      return text('declined', { peer });
    default:
      return text('callFailed', { status });
  }
}
