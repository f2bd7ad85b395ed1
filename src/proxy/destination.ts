/**
 * Where a request from outside a dialog goes, read from its Request-URI alone and before the sender
 * is asked to prove anything: to one of the node's own users, to a verified peer node that serves
 * the domain (federation), or nowhere (the node is no open relay; RFC 3261 §16.3 step 1 for the
 * scheme). Whether a local user exists is decided only after the sender is proven, so that strangers
 * cannot learn the node's accounts.
 */
import { bareHost, parseUri, type SipUri } from '../sip/uri.js';
import type { OurHosts } from '../core/our-host.js';
import type { PeerNode, Peers } from './peers.js';
import type { ProxyRefusal } from './refusal.js';

export type Destination =
  /** `user` is the Request-URI's user part as written, if it has one. */
  | { readonly kind: 'local'; readonly user: string | undefined }
  | { readonly kind: 'node'; readonly node: PeerNode; readonly user: string }
  | { readonly kind: 'refused'; readonly refusal: ProxyRefusal };

/** The node itself: a sip or sips URI with no user naming one of the node's hosts (§11 OPTIONS). */
export function isTheNode(requestUri: string, hosts: OurHosts): boolean {
  try {
    const uri = parseUri(requestUri);
    return uri.scheme !== 'tel' && !uri.user && hosts.isOurHost(uri.host);
  } catch {
    return false;
  }
}

export function destinationOf(requestUri: string, hosts: OurHosts, peers: Peers | undefined): Destination {
  let uri: SipUri;
  try {
    uri = parseUri(requestUri);
  } catch {
    // A scheme the node does not know is not a malformed URI: 416 (RFC 3261 §8.2.2.1; RFC 4475
    // §3.3, unksm and unksm2).
    const known = /^(sips?|tel):/i.test(requestUri);
    return { kind: 'refused', refusal: known ? 'BAD_REQUEST_URI' : 'UNSUPPORTED_SCHEME' };
  }
  if (uri.scheme === 'tel') return { kind: 'refused', refusal: 'UNSUPPORTED_SCHEME' };
  if (hosts.isOurHost(uri.host)) return { kind: 'local', user: uri.user || undefined };
  const node = peers?.nodeForDomain(bareHost(uri.host).toLowerCase());
  if (node && uri.user) return { kind: 'node', node, user: uri.user };
  // A neighbour's node that was there and left: its users are out of reach, not refused (§21.4.18).
  if (!node && uri.user && peers?.departed(bareHost(uri.host).toLowerCase())) return { kind: 'refused', refusal: 'PEER_GONE' };
  return { kind: 'refused', refusal: 'NOT_OUR_DOMAIN' };
}
