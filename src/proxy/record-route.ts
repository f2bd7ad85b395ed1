/**
 * The node's Record-Route entries (RFC 3261 §16.6 step 4) and how it knows them again in a Route
 * (§16.4). Every entry is a loose-routing URI (`;lr`) that carries:
 *
 *   ftag  the From tag of the request that made the dialog, so a request later in the dialog tells
 *         which way it goes (From tag equal: from the caller, downstream; else upstream), as
 *         Kamailio's rr module does;
 *   up    the flow token of the caller's flow, dn  that of the callee's (flow-token.ts).
 *
 * Where the request changes transport or address on its way through (a browser on wss calling a
 * phone on UDP) the node adds two entries, one facing each side (RFC 5658 §3.1); each side's
 * client sends its in-dialog requests to the one that faces it.
 */
import { parseNameAddr } from '../sip/name-addr.js';
import type { SipUri } from '../sip/uri.js';
import type { Flow } from '../sip/flow.js';
import type { LocalAddresses } from '../net/local-address.js';
import type { FlowRef, FlowTokens } from './flow-token.js';
import type { OurHosts } from '../core/our-host.js';
import { TRANSPORT_TRAITS } from '../sip/transport-traits.js';

export interface RouteDeps {
  tokens: FlowTokens;
  addresses: LocalAddresses;
  hosts: OurHosts;
}

/** What one of the node's Route entries says, once verified. */
export interface OurRoute {
  ftag?: string;
  up?: FlowRef;
  dn?: FlowRef;
}

/** The URI of the node as `flow`'s peer reaches it (§19.1.1 host, RFC 7118 §5.2 `transport=ws`). */
export function nodeUri(deps: RouteDeps, flow: Flow): string {
  const address = deps.addresses.forFlow(flow);
  const host = address.includes(':') ? `[${address}]` : address;
  const param = TRANSPORT_TRAITS[flow.transport].uriParam;
  const transport = param === undefined ? '' : `;transport=${param}`;
  return `sip:${host}:${flow.localPort}${transport}`;
}

/**
 * Record-Route values for a dialog-creating request that came in on `inbound` and leaves on
 * `outbound`, in the order to insert them: the first goes on top.
 */
export function recordRoutes(deps: RouteDeps, inbound: Flow, outbound: Flow, fromTag: string | undefined): string[] {
  const params =
    (fromTag === undefined ? '' : `;ftag=${fromTag}`) +
    `;up=${deps.tokens.encode(inbound)};dn=${deps.tokens.encode(outbound)}`;
  const inUri = nodeUri(deps, inbound);
  const outUri = nodeUri(deps, outbound);
  if (inUri === outUri) return [`<${inUri};lr${params}>`];
  // RFC 5658 §3.1: the entry facing the callee on top (its route set is in order), the one facing
  // the caller below it (the caller's route set is reversed).
  return [`<${outUri};lr${params}>`, `<${inUri};lr${params}>`];
}

/**
 * A Route value that names this node: a verified entry of its own, or the node's address (a
 * client's pre-loaded outbound proxy, §8.1.2). Undefined when the route leads elsewhere.
 */
export function readOurRoute(deps: RouteDeps, route: string): OurRoute | undefined {
  let uri: SipUri;
  try {
    uri = parseNameAddr(route).uri;
  } catch {
    return undefined;
  }
  const token = (name: string) => {
    const v = uri.params.get(name);
    return typeof v === 'string' ? deps.tokens.decode(v) : undefined;
  };
  const up = token('up');
  const dn = token('dn');
  if (up === undefined && dn === undefined && !deps.hosts.isOurUri(uri)) return undefined;
  const ftag = uri.params.get('ftag');
  return { ...(typeof ftag === 'string' ? { ftag } : {}), ...(up ? { up } : {}), ...(dn ? { dn } : {}) };
}
