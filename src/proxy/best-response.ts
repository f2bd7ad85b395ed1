/**
 * The response a forking proxy sends back when no branch answered 2xx (RFC 3261 §16.7 step 6):
 * a 6xx if there is one, otherwise one from the lowest class. Within a class the node prefers the
 * answer that says most about the callee: a device that is busy (486) or declined says more than
 * one that timed out (408), was unavailable (480) or was cancelled (487).
 */
import type { SipResponse } from '../sip/message.js';

const LEAST_TELLING = [487, 408, 480];

function rank(status: number): number {
  if (status >= 600) return 0;
  const vague = LEAST_TELLING.indexOf(status);
  return Math.floor(status / 100) * 10 + (vague < 0 ? 0 : LEAST_TELLING.length - vague);
}

export function bestResponse(responses: readonly SipResponse[]): SipResponse | undefined {
  let best: SipResponse | undefined;
  for (const r of responses) if (best === undefined || rank(r.status) < rank(best.status)) best = r;
  return best;
}
