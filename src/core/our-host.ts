/**
 * Whether a URI names this node: its SIP domain or one of its addresses (a desk phone is often
 * configured with the router's IP), on one of its SIP ports. The registrar accepts the same names
 * for REGISTER; the proxy uses them to tell its own users and its own Route entries apart.
 */
import { isIP } from 'node:net';
import { unmapAddress } from '../net/addresses.js';
import type { LocalAddresses } from '../net/local-address.js';
import { bareHost, type SipUri } from '../sip/uri.js';

export interface OurHostsOptions {
  domain: string;
  addresses: LocalAddresses;
  /** The node's SIP ports: UDP/TCP, ws:// and wss:// (known once the transports listen). */
  ports: () => { sip: number; http: number; https: number };
}

export class OurHosts {
  private readonly domain: string;

  constructor(private readonly options: OurHostsOptions) {
    this.domain = options.domain.toLowerCase();
  }

  isOurHost(host: string): boolean {
    const h = unmapAddress(bareHost(host).toLowerCase());
    if (h === this.domain) return true;
    if (isIP(h) === 0) return false;
    if (h === '127.0.0.1' || h === '::1') return true;
    return this.options.addresses.all().includes(h);
  }

  /** The URI's host is ours and its port one the node listens on (5060 when absent, §19.1.2). */
  isOurUri(uri: SipUri): boolean {
    if (!this.isOurHost(uri.host)) return false;
    const { sip, http, https } = this.options.ports();
    const port = uri.port ?? (uri.scheme === 'sips' ? 5061 : 5060);
    return port === sip || port === http || port === https || (uri.port === undefined && this.isDomain(uri.host));
  }

  private isDomain(host: string): boolean {
    return bareHost(host).toLowerCase() === this.domain;
  }
}
