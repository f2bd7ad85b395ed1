/**
 * Where a device that registered over UDP is reached: at the address its REGISTER came from, or
 * at its Contact. The source is right behind a NAT, where only the pinhole the REGISTER opened
 * leads back (RFC 3581); the Contact is right everywhere else: a phone that sends from another
 * port than it listens on, or a third-party registration (RFC 3261 §10.2), where the source is
 * not the device at all. The NAT is told in the manner of Kamailio's `nat_uac_test`:
 *
 *   - the top Via's sent-by host is not the source address: something rewrote the address on the
 *     way (the `received` test, §18.2.1);
 *   - the Contact is a private or link-local address and the source is not;
 *   - the Contact names no address to send to (a host name, which the node does not resolve, or
 *     a URI of another scheme);
 *   - the device asked for outbound (RFC 5626 `reg-id`): its flow is the way to it (§5.3).
 *
 * Ports alone decide nothing: a NAT that kept the address kept a reachable device, and a phone
 * whose source port differs from its Contact port is the case the Contact exists for. On a mesh
 * every address is private (10/8 on qMp and Guifi.net), so privacy counts only against a public
 * source.
 */
import { isIP } from 'node:net';
import { bareHost, parseUri } from '../sip/uri.js';
import { canonicalHost } from '../net/addresses.js';
import { parseIPv4 } from '../net/ipv4.js';
import type { FlowAddress } from '../sip/flow.js';

export interface UdpRegistration {
  /** The Contact URI as registered. */
  readonly contact: string;
  /** The top Via's sent-by host, as written. */
  readonly viaHost: string | undefined;
  readonly source: FlowAddress;
  readonly outbound: boolean;
}

export function udpReach(r: UdpRegistration): FlowAddress {
  if (r.outbound || r.viaHost === undefined) return r.source;
  const contact = contactAddress(r.contact);
  if (!contact) return r.source;
  const source = canonicalHost(r.source.remoteAddress);
  if (canonicalHost(r.viaHost) !== source) return r.source;
  if (isPrivate(contact.remoteAddress) && !isPrivate(source)) return r.source;
  return contact;
}

function contactAddress(contact: string): FlowAddress | undefined {
  let uri;
  try {
    uri = parseUri(contact);
  } catch {
    return undefined;
  }
  if (uri.scheme !== 'sip') return undefined;
  const transport = uri.params.get('transport');
  if (typeof transport === 'string' && transport.toLowerCase() !== 'udp') return undefined;
  const host = bareHost(uri.host);
  if (isIP(host) === 0) return undefined;
  // §19.1.2: a sip URI without a port means 5060.
  return { transport: 'udp', remoteAddress: canonicalHost(host), remotePort: uri.port ?? 5060 };
}

/** RFC 1918, RFC 6598 shared space, loopback, link-local; IPv6 unique-local and link-local. */
function isPrivate(address: string): boolean {
  if (isIP(address) === 6) return /^(f[cd]|fe[89ab])[0-9a-f]*:/i.test(address) || address === '::1';
  const value = parseIPv4(address);
  if (value === undefined) return false;
  const a = value >>> 24;
  const b = (value >>> 16) & 0xff;
  return a === 10 || a === 127 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
}
