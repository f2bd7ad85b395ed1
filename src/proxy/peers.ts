/**
 * What the proxy asks of federation (src/federation/, DESIGN.md §5), and nothing more: which
 * verified node serves a domain and where its SIP endpoint is, whether a request carries a valid
 * node signature, and the node's own signature on what it sends to another node. Routing never
 * learns how nodes were found or how their keys were pinned.
 */
import type { SignatureCheck } from '../federation/request-signature.js';
import type { SipRequest } from '../sip/message.js';
import type { FlowAddress } from '../sip/flow.js';

export interface PeerNode {
  readonly id: string;
  /** The node's SIP domain: its users are `user@domain`. */
  readonly domain: string;
  /** Where requests for it are sent (UDP or TCP; browsers stay behind their own node). */
  readonly sip: FlowAddress;
}

export interface Peers {
  /** The verified node that serves `domain` (lower-cased), if any. */
  nodeForDomain(domain: string): PeerNode | undefined;
  nodeById(id: string): PeerNode | undefined;
  /** The verified nodes that publish a user of this (lower-case) name, for a bare name dialled here. */
  nodesWithUser(user: string): PeerNode[];
  /** Whether a node that served `domain` (lower-cased) left the directory and none took its place. */
  departed(domain: string): boolean;
  verify(req: SipRequest): SignatureCheck;
  /** Sign a request this node sends on to another node. */
  sign(req: SipRequest): void;
  /** A request sent to node `id` timed out or could not be sent: the node may be gone. */
  unreachable(id: string): void;
}
