/**
 * Where a request from outside a dialog goes, read from its Request-URI alone and before the sender
 * is asked to prove anything: to one of the node's own users, to a verified peer node that serves
 * the domain (federation), or nowhere (the node is no open relay; RFC 3261 §16.3 step 1 for the
 * scheme). Whether a local user exists is decided only after the sender is proven, so that strangers
 * cannot learn the node's accounts.
 */
import { bareHost, parseUri, type SipUri } from '../sip/uri.js';
import type { OurHosts } from '../transport/our-host.js';
import type { PeerNode, Peers } from './peers.js';
import type { ProxyRefusal } from './refusal.js';

export type Destination =
  /** `user` is the Request-URI's user part as written, if it has one. */
  | { readonly kind: 'local'; readonly user: string | undefined }
  | { readonly kind: 'node'; readonly node: PeerNode; readonly user: string }
  | { readonly kind: 'refused'; readonly refusal: ProxyRefusal };

export function destinationOf(requestUri: string, hosts: OurHosts, peers: Peers | undefined): Destination {
  let uri: SipUri;
  try {
    uri = parseUri(requestUri);
  } catch {
    return { kind: 'refused', refusal: 'BAD_REQUEST_URI' };
  }
  if (uri.scheme === 'tel') return { kind: 'refused', refusal: 'UNSUPPORTED_SCHEME' };
  if (hosts.isOurHost(uri.host)) return { kind: 'local', user: uri.user || undefined };
  const node = peers?.nodeForDomain(bareHost(uri.host).toLowerCase());
  if (node && uri.user) return { kind: 'node', node, user: uri.user };
  return { kind: 'refused', refusal: 'NOT_OUR_DOMAIN' };
}
