/** The client side of peer exchange (peer-exchange.ts): a signed POST to the peer's HTTPS port. */
import { MAX_EXCHANGE_BYTES, type PostExchange } from './peer-exchange.js';
import { requestPeer } from './peer-request.js';
import { SIGNATURE_HEADER } from './request-signature.js';

export const EXCHANGE_PATH = '/.well-known/trucada/peers';

export const postExchange: PostExchange = async (host, port, body, signature, timeoutMs) => {
  const headers = { 'Content-Type': 'text/plain; charset=utf-8', [SIGNATURE_HEADER]: signature };
  return (await requestPeer({ host, port, method: 'POST', path: EXCHANGE_PATH, headers, body, maxBytes: MAX_EXCHANGE_BYTES, timeoutMs })).body;
};
