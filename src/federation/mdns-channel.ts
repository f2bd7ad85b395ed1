/**
 * The mDNS discovery channel (DESIGN.md §5, RFC 6762 and RFC 6763): finds the nodes on this layer-2
 * cloud (a batman-adv cloud, or direct neighbours) by browsing `_trucada._tcp`, and in `announce`
 * mode answers for this node too (mdns-records.ts: `_trucada._tcp` with the beacon in its TXT, and
 * `_sip._udp` / `_sip._tcp` for ordinary SIP clients).
 *
 * Port 5353. Both modes bind 5353 with SO_REUSEADDR and join the group (mdns-socket.ts), beside
 * the host's responder rather than instead of it. One-shot queries from an ephemeral port (RFC 6762
 * §5.1, §6.7 legacy unicast) would take no port at all, but they only ever get answers to a query:
 * no announcement of a node that just came up, no goodbye of one that leaves (§10.1), and answers
 * with TTLs of at most 10 s, so everything would have to be asked again every few seconds. Sharing
 * the port hears all of it. Datagrams to a multicast group reach every socket bound to the port, so
 * neither umdns nor avahi loses anything (umdns binds 224.0.0.251:5353 per interface with
 * SO_REUSEADDR and takes only packets with IP TTL 255, which is what we send). DESIGN.md §5 would
 * have umdns announce the node instead, but procd hands umdns its service data once, at start,
 * and the beacon's id and seq are the node's own and the seq changes while it runs: a TXT from
 * umdns would hold a stale seq, and the others would never fetch a changed descriptor. So on
 * OpenWrt too the node announces `_trucada._tcp` itself, under names no other responder holds
 * (mdns-records.ts), and umdns keeps `_https._tcp` (and `_sip`, when the node only browses).
 *
 * Library: dns-packet (the DNS message codec multicast-dns and bonjour-service are built on; 124 KB
 * unpacked with its one dependency; with the channel it adds 42 KB to the 269 KB router bundle)
 * and the little mDNS logic written here. multicast-dns (mafintosh) adds a socket wrapper that
 * binds one family per instance, sends on one interface unless it is told each, and has had no
 * release since 2022; bonjour-service
 * is multicast-dns plus a registry of services and probing, more than three fixed services need;
 * @homebridge/ciao is a full responder (probing, conflict resolution, its own interface monitor)
 * with debug, source-map-support and tslib as runtime dependencies, several times the size, and it
 * owns the socket itself. What mDNS needs here is small: answer a few questions about records of our
 * own, ask one question, and read TXT records strictly, and that is easier to bound and to audit
 * in a few small files than inside a general responder.
 *
 * Everything received is untrusted: packets over 9000 bytes (§17), packets that do not decode,
 * responses not from port 5353 or not from an on-link address (§11) are dropped, the warnings are
 * rate-limited, and nothing the network sends can throw out of the socket's handler.
 */
import { decode, encode, AUTHORITATIVE_ANSWER, type DecodedPacket, type Question } from 'dns-packet';
import { RateLimitedLog } from '../transport/rate-limited-log.js';
import { encodeBeacon, type Beacon } from './beacon.js';
import type { ChannelDeps, DiscoveryChannel } from './channel.js';
import { answersFor, recordKey, resourceRecords, type MdnsRecord, type Reply } from './mdns-answers.js';
import { MdnsBrowser } from './mdns-browser.js';
import { allRecords, ownRecords, TRUCADA_SERVICE, type OwnRecords } from './mdns-records.js';
import { MDNS_PORT, MdnsSocket, type MdnsInterface, type MdnsTransport } from './mdns-socket.js';

export type MdnsMode = 'browse' | 'announce';

/** RFC 6762 §17: an mDNS message is at most 9000 bytes. */
const MAX_PACKET = 9000;
/** Checks of the own beacon and the interfaces: a comparison of a few strings, every few seconds. */
const POLL_MS = 5000;
/** Expiry and the TXT refreshes of RFC 6762 §5.2. */
const TICK_MS = 1000;
/**
 * RFC 6762 §5.2 lets the interval between queries grow to an hour. On a mesh nodes come and go,
 * and an answer missed (a lossy radio link) would then hide a node for long: a minute is a small
 * cost (one question, one answer per node) and keeps nodes heard well within the default
 * `peer_timeout` of 180 s, which the directory counts from the last beacon.
 */
export const MAX_QUERY_INTERVAL_MS = 60_000;
/** TXT questions one query asks at most; the rest wait for the next tick. */
const MAX_REFRESH_QUESTIONS = 32;
/** Responses waiting for their §6 delay: a burst of queries shares them, the rest are dropped. */
const MAX_PENDING_REPLIES = 16;
/** §6.7: legacy unicast answers carry TTLs of at most 10 s. */
const LEGACY_TTL = 10;

export interface MdnsChannelOptions {
  readonly mode: MdnsMode;
  /** The SIP port announced as `_sip._udp` and `_sip._tcp`, read at each announcement. */
  readonly sipPort: () => number;
  /** The `listen` addresses: mDNS runs only on the interfaces holding one (none: every interface). */
  readonly listen: readonly string[];
  readonly maxQueryIntervalMs?: number;
  readonly transport?: MdnsTransport;
}

export class MdnsChannel implements DiscoveryChannel {
  readonly name = 'mdns';
  private readonly transport: MdnsTransport;
  private readonly log: RateLimitedLog;
  private browser: MdnsBrowser | undefined;
  /** The beacon as last polled: answers are built from it, not from a fresh own() per query. */
  private beacon: Beacon | undefined;
  private readonly timers = new Set<unknown>();
  /** `iface record` → our clock when it was last multicast there (RFC 6762 §6: at most once a second). */
  private readonly lastSent = new Map<string, number>();
  private pendingReplies = 0;
  private announced: string | undefined;
  private queryInterval = 1000;
  private running = false;

  constructor(private readonly deps: ChannelDeps, private readonly options: MdnsChannelOptions) {
    this.log = new RateLimitedLog(deps.logger, () => deps.clock.now());
    this.transport = options.transport ?? new MdnsSocket({ listen: options.listen, onError: (m) => this.log.warn(m) });
  }

  async start(): Promise<void> {
    this.browser = new MdnsBrowser({ sink: this.deps.sink, selfId: this.deps.own().id, clock: this.deps.clock, log: this.log });
    await this.transport.open((bytes, from) => this.receive(bytes, from));
    this.running = true;
    this.poll();
    this.tick();
    // §5.2: the first query after a random 20-120 ms, so that nodes started together do not collide.
    this.after(20 + Math.random() * 100, () => this.query());
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers) this.deps.clock.clearTimeout(t);
    this.timers.clear();
    // §10.1: a goodbye, every record with TTL 0, so that others drop us now and not in two minutes.
    if (this.announced !== undefined) this.sendAll((iface) => allRecords(this.records(iface, 0)));
    await this.transport.close();
  }

  /** The socket's handler: whatever arrives, nothing is thrown from here. */
  receive(bytes: Buffer, from: { address: string; port: number }): void {
    try {
      if (bytes.length > MAX_PACKET) return this.log.warn(`mdns: ${from.address}: dropped a packet of ${bytes.length} bytes (over ${MAX_PACKET})`);
      let packet: DecodedPacket;
      try {
        packet = decode(bytes);
      } catch (err) {
        return this.log.warn(`mdns: ${from.address}: dropped a packet that does not decode (${(err as Error).message})`);
      }
      // dns-packet reads a record's data without checking it against the end of the buffer: a
      // truncated packet decodes, with the last strings cut short. What it read tells.
      if ((decode as unknown as { bytes: number }).bytes > bytes.length) {
        return this.log.warn(`mdns: ${from.address}: dropped a truncated packet`);
      }
      const iface = this.transport.interfaceFor(from.address);
      if (iface === undefined) return;
      if (packet.type === 'response') {
        if (from.port === MDNS_PORT) this.browser?.response([...resourceRecords(packet.answers), ...resourceRecords(packet.additionals)], from.address);
      } else if (this.options.mode === 'announce' && this.announced !== undefined) {
        this.answer(packet, iface, from);
      }
    } catch (err) {
      this.log.warn(`mdns: ${from.address}: dropped a packet (${(err as Error).message})`);
    }
  }

  private answer(query: DecodedPacket, iface: MdnsInterface, from: { address: string; port: number }): void {
    const questions = query.questions ?? [];
    const reply = answersFor(questions, resourceRecords(query.answers), this.records(iface));
    if (reply.answers.length === 0) return;
    if (from.port !== MDNS_PORT) {
      // §6.7: a legacy resolver asked from its own port; it gets a unicast DNS answer with its id
      // and question, short TTLs and no cache-flush bits (§10.2).
      const legacy = (a: MdnsRecord): MdnsRecord => ({ ...a, ttl: Math.min(a.ttl ?? 0, LEGACY_TTL), flush: false });
      const bytes = encode({
        type: 'response', id: query.id, flags: AUTHORITATIVE_ANSWER, questions: questions as Question[],
        answers: reply.answers.map(legacy), additionals: reply.additionals.map(legacy),
      });
      return this.transport.send(bytes, iface, from);
    }
    // §6: an answer from a shared record set (the PTRs) waits 20-120 ms, so that the answers of
    // every host offering the service do not collide; records only we hold go at once.
    const shared = reply.answers.some((a) => a.type === 'PTR');
    if (!shared) return this.multicast(iface, reply);
    if (this.pendingReplies >= MAX_PENDING_REPLIES) return;
    this.pendingReplies++;
    this.after(20 + Math.random() * 100, () => {
      this.pendingReplies--;
      this.multicast(iface, reply);
    });
  }

  /** Sends the answers not multicast on `iface` within the last second (§6). */
  private multicast(iface: MdnsInterface, reply: Reply): void {
    const now = this.deps.clock.now();
    const fresh = reply.answers.filter((a) => now - (this.lastSent.get(`${iface.name} ${recordKey(a)}`) ?? -Infinity) >= 1000);
    if (fresh.length === 0) return;
    this.sendRecords(iface, fresh, reply.additionals);
  }

  private sendRecords(iface: MdnsInterface, answers: MdnsRecord[], additionals: MdnsRecord[] = []): void {
    const now = this.deps.clock.now();
    for (const a of answers) this.lastSent.set(`${iface.name} ${recordKey(a)}`, now);
    this.transport.send(encode({ type: 'response', id: 0, flags: AUTHORITATIVE_ANSWER, answers, additionals }), iface);
  }

  private sendAll(records: (iface: MdnsInterface) => MdnsRecord[]): void {
    for (const iface of this.transport.interfaces()) this.sendRecords(iface, records(iface));
  }

  /** Only called once `announced` is set, and with it `beacon`. */
  private records(iface: MdnsInterface, ttl?: number): OwnRecords {
    return ownRecords({ beacon: this.beacon!, sipPort: this.options.sipPort(), ipv4: iface.ipv4, ipv6: iface.ipv6 }, ttl);
  }

  /**
   * Every few seconds: joins the group on new interfaces and, in announce mode, announces again when
   * what we say changed (the seq, a port, an address): §8.3, twice, one second apart.
   */
  private poll(): void {
    const interfaces = this.transport.interfaces();
    if (this.options.mode === 'announce') {
      const beacon = this.deps.own();
      const said = this.said(beacon, interfaces);
      if (said !== undefined && said !== this.announced) {
        this.beacon = beacon;
        this.announced = said;
        this.sendAll((iface) => allRecords(this.records(iface)));
        this.after(1000, () => this.sendAll((iface) => allRecords(this.records(iface))));
      }
    }
    this.after(POLL_MS, () => this.poll());
  }

  /** What the announcement says now, or undefined when the beacon is not valid yet (a port not bound). */
  private said(beacon: Beacon, interfaces: readonly MdnsInterface[]): string | undefined {
    try {
      encodeBeacon(beacon);
    } catch (err) {
      this.log.warn(`mdns: not announcing: ${(err as Error).message}`);
      return undefined;
    }
    return JSON.stringify([beacon, this.options.sipPort(), interfaces]);
  }

  private tick(): void {
    this.browser?.expire();
    const due = this.browser?.due() ?? [];
    if (due.length > 0) this.ask(due.slice(0, MAX_REFRESH_QUESTIONS).map((name) => ({ type: 'TXT', name })));
    this.after(TICK_MS, () => this.tick());
  }

  /** §5.2 continuous querying: the interval doubles from one second up to the cap. */
  private query(): void {
    this.ask([{ type: 'PTR', name: TRUCADA_SERVICE }]);
    const delay = this.queryInterval;
    this.queryInterval = Math.min(this.queryInterval * 2, this.options.maxQueryIntervalMs ?? MAX_QUERY_INTERVAL_MS);
    this.after(delay, () => this.query());
  }

  private ask(questions: Question[]): void {
    for (const iface of this.transport.interfaces()) {
      // §7.1: our own PTR goes along as a known answer, so that our own responder does not answer us.
      const own = this.announced === undefined ? [] : [...this.records(iface).pointers.values()].filter((a) => a.name === TRUCADA_SERVICE);
      this.transport.send(encode({ type: 'query', id: 0, questions, answers: own }), iface);
    }
  }

  private after(ms: number, fn: () => void): void {
    const t = this.deps.clock.setTimeout(() => {
      this.timers.delete(t);
      if (this.running) fn();
    }, ms);
    this.timers.add(t);
  }
}
