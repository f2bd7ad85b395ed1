/**
 * Fetches a node's descriptor from its HTTPS port (GET /.well-known/trucada), bounded as every
 * request to another node is (peer-request.ts). The answer carries the address the connection
 * reached, where the node then sends SIP.
 */
import { MAX_DESCRIPTOR_BYTES } from './descriptor.js';
import { requestPeer, type PeerAnswer } from './peer-request.js';

export const DESCRIPTOR_PATH = '/.well-known/trucada';

export type Fetched = PeerAnswer;

export type FetchDescriptor = (host: string, port: number, timeoutMs: number) => Promise<Fetched>;

export const fetchDescriptor: FetchDescriptor = (host, port, timeoutMs) =>
  requestPeer({ host, port, method: 'GET', path: DESCRIPTOR_PATH, headers: { Accept: 'application/json' }, maxBytes: MAX_DESCRIPTOR_BYTES, timeoutMs });
