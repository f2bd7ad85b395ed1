/**
 * The DNS-SD records this node announces over mDNS (RFC 6763): `_trucada._tcp` for other nodes,
 * whose TXT carries the whole beacon (id, domain, seq, port), and `_sip._udp` / `_sip._tcp` on the
 * SIP port for ordinary SIP clients, with the host's A/AAAA records.
 *
 * Every instance is named by the node id, and the host `trucada-<id>.local`: the id is derived from
 * the node's key, so no other host announces these names, and the probing of RFC 6762 §8.1 (which
 * finds a name someone else holds) is not needed; nor is a host name taken from the system, which a
 * responder like avahi already announces and would defend. (The domain cannot be a label here: it
 * has dots, and instance names with dots need escaping that dns-packet does not do.)
 */
import type { StringAnswer, SrvAnswer, TxtAnswer } from 'dns-packet';
import type { Beacon } from './beacon.js';
import { encodeTxt } from './dns-sd-txt.js';
import type { MdnsRecord } from './mdns-answers.js';

export const TRUCADA_SERVICE = '_trucada._tcp.local';
export const SIP_SERVICES = ['_sip._udp.local', '_sip._tcp.local'] as const;
/** RFC 6763 §9: the PTR records that list the service types on the link. */
export const SERVICE_TYPES = '_services._dns-sd._udp.local';
/**
 * RFC 6762 §10 asks 120 s for records that name a host (SRV, A, AAAA) and 75 min for the others; here
 * every record has 120 s, so that a node switched off without a goodbye leaves the caches of other
 * nodes within two minutes. Queriers refresh at 80 % of it: one small answer a minute and a half.
 */
export const RECORD_TTL = 120;

export interface OwnRecordsInput {
  readonly beacon: Beacon;
  readonly sipPort: number;
  /** The addresses of the interface the records go out on. */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

/** Our records, grouped as the responder looks them up. Names are lower case (RFC 6762 §16). */
export interface OwnRecords {
  readonly host: string;
  /** Service type → its PTR record. */
  readonly pointers: ReadonlyMap<string, StringAnswer>;
  /** Instance name → its SRV and TXT records. */
  readonly instances: ReadonlyMap<string, readonly [SrvAnswer, TxtAnswer]>;
  readonly addresses: readonly MdnsRecord[];
  /** The §9 enumeration: one PTR per service type. */
  readonly serviceTypes: readonly StringAnswer[];
}

export function ownRecords(input: OwnRecordsInput, ttl = RECORD_TTL): OwnRecords {
  const { beacon } = input;
  const host = `trucada-${beacon.id}.local`;
  const pointers = new Map<string, StringAnswer>();
  const instances = new Map<string, readonly [SrvAnswer, TxtAnswer]>();
  const service = (type: string, port: number, txt: Buffer[]) => {
    const instance = `${beacon.id}.${type}`;
    pointers.set(type, { name: type, type: 'PTR', ttl, data: instance });
    // RFC 6762 §10.2: SRV and TXT are unique to this host, so they carry the cache-flush bit; the
    // PTR is a shared record (other hosts offer the same service type) and does not.
    instances.set(instance, [
      { name: instance, type: 'SRV', ttl, flush: true, data: { priority: 0, weight: 0, port, target: host } },
      { name: instance, type: 'TXT', ttl, flush: true, data: txt },
    ]);
  };
  service(TRUCADA_SERVICE, beacon.port, encodeTxt([
    ['id', beacon.id],
    ['domain', beacon.domain],
    ['seq', String(beacon.seq)],
    ['port', String(beacon.port)],
  ]));
  // RFC 6763 §6.1: every DNS-SD service has a TXT record; with nothing to say it is one empty string.
  for (const type of SIP_SERVICES) service(type, input.sipPort, [Buffer.alloc(0)]);
  const addresses: MdnsRecord[] = [
    ...input.ipv4.map((data): MdnsRecord => ({ name: host, type: 'A', ttl, flush: true, data })),
    ...input.ipv6.map((data): MdnsRecord => ({ name: host, type: 'AAAA', ttl, flush: true, data })),
  ];
  const serviceTypes = [...pointers.keys()].map((data): StringAnswer => ({ name: SERVICE_TYPES, type: 'PTR', ttl, data }));
  return { host, pointers, instances, addresses, serviceTypes };
}

/** Every record, as announced (RFC 6762 §8.3) or, with TTL 0, withdrawn (§10.1). */
export function allRecords(r: OwnRecords): MdnsRecord[] {
  return [...r.serviceTypes, ...r.pointers.values(), ...[...r.instances.values()].flat(), ...r.addresses];
}
