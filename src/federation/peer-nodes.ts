/**
 * The verified peer nodes, as the proxy asks for them (src/proxy/peers.ts): the directory adds a
 * node once its descriptor has verified against its pinned key and removes it when it leaves. A
 * domain belongs to the first node that claimed it and still holds it: a second node announcing the
 * same domain is refused (and logged by the caller), so nobody takes over another node's users by
 * naming its domain; the domain passes on only after its holder leaves the directory.
 */
import type { KeyObject } from 'node:crypto';
import type { PeerNode, Peers } from '../proxy/peers.js';
import type { SipRequest } from '../sip/message.js';
import { signExchange, verifyExchange } from './exchange-signature.js';
import { SignatureVerifier, signRequest, type NodeSigner, type SignatureCheck } from './request-signature.js';

export interface KnownNode extends PeerNode {
  readonly publicKey: KeyObject;
  /** Its clock minus ours in ms, from its descriptor: routers often run without a real-time clock. */
  readonly clockOffsetMs: number;
  /** The users its descriptor publishes. */
  readonly users: readonly string[];
  /** Of those, the ones who show their presence to the mesh and are registered now. */
  readonly online: ReadonlySet<string>;
  /** Of those, the ones who show their presence to the mesh and are not registered. */
  readonly offline: ReadonlySet<string>;
}

/** Dial suggestions from the mesh: enough for a community, bounded for a page and a router. */
const MAX_MESH_USERS = 5000;
/** Domains of nodes that left, remembered until they come back (the oldest forgotten past this). */
const MAX_DEPARTED = 1024;

export type AddResult = { readonly kind: 'added' | 'updated' } | { readonly kind: 'domain-taken'; readonly by: string };

export class PeerNodes implements Peers {
  private readonly byId = new Map<string, KnownNode>();
  private readonly byDomain = new Map<string, string>();
  private readonly gone = new Set<string>();
  private readonly verifier: SignatureVerifier;

  constructor(
    private readonly self: NodeSigner,
    private readonly now: () => number,
    /** A request to node `id` failed (the directory then fetches its descriptor again). */
    private readonly onUnreachable: (id: string) => void = () => {},
  ) {
    this.verifier = new SignatureVerifier({
      keyOf: (id) => this.byId.get(id)?.publicKey,
      now,
      clockOffsetOf: (id) => this.byId.get(id)?.clockOffsetMs ?? 0,
    });
  }

  add(node: KnownNode): AddResult {
    const domain = node.domain.toLowerCase();
    const holder = this.byDomain.get(domain);
    if (holder !== undefined && holder !== node.id) return { kind: 'domain-taken', by: holder };
    const before = this.byId.get(node.id);
    if (before && before.domain.toLowerCase() !== domain) this.byDomain.delete(before.domain.toLowerCase());
    this.byId.set(node.id, { ...node, domain });
    this.byDomain.set(domain, node.id);
    this.gone.delete(domain);
    return { kind: before ? 'updated' : 'added' };
  }

  remove(id: string): void {
    const node = this.byId.get(id);
    if (!node) return;
    this.byId.delete(id);
    this.byDomain.delete(node.domain);
    if (this.gone.size >= MAX_DEPARTED) this.gone.delete(this.gone.values().next().value!);
    this.gone.add(node.domain);
  }

  departed(domain: string): boolean {
    return this.gone.has(domain.toLowerCase());
  }

  nodes(): KnownNode[] {
    return [...this.byId.values()];
  }

  /** The users the peer nodes publish, as `user@domain`, at most MAX_MESH_USERS. */
  users(): string[] {
    const all: string[] = [];
    for (const node of this.byId.values()) {
      for (const user of node.users) {
        if (all.length >= MAX_MESH_USERS) return all;
        all.push(`${user}@${node.domain}`);
      }
    }
    return all;
  }

  /**
   * What the node of `user@domain` publishes of that user's presence: undefined when it publishes
   * none, and offline for anyone of a node that left (its users show offline, DESIGN.md §5).
   */
  presenceOf(address: string): 'online' | 'offline' | undefined {
    const at = address.lastIndexOf('@');
    const domain = address.slice(at + 1).toLowerCase();
    const id = this.byDomain.get(domain);
    const node = id === undefined ? undefined : this.byId.get(id);
    if (node === undefined) return this.gone.has(domain) ? 'offline' : undefined;
    const user = address.slice(0, at).toLowerCase();
    return node.online.has(user) ? 'online' : node.offline.has(user) ? 'offline' : undefined;
  }

  nodeForDomain(domain: string): PeerNode | undefined {
    const id = this.byDomain.get(domain.toLowerCase());
    return id === undefined ? undefined : this.byId.get(id);
  }

  nodesWithUser(user: string): PeerNode[] {
    return [...this.byId.values()].filter((n) => n.users.includes(user)).sort((a, b) => (a.domain < b.domain ? -1 : 1));
  }

  unreachable(id: string): void {
    if (this.byId.has(id)) this.onUnreachable(id);
  }

  nodeById(id: string): PeerNode | undefined {
    return this.byId.get(id);
  }

  verify(req: SipRequest): SignatureCheck {
    return this.verifier.verify(req);
  }

  sign(req: SipRequest): void {
    signRequest(req, this.self, this.now());
  }

  /** The signature header for a peer exchange sent to node `receiverId` (exchange-signature.ts). */
  signExchange(body: Buffer, receiverId: string): string {
    return signExchange(body, this.self, receiverId, this.now());
  }

  /** A peer exchange received: verified when signed by a node in the directory, for us. */
  verifyExchange(header: string | undefined, body: Buffer): SignatureCheck {
    return verifyExchange(header, body, this.self.id, {
      keyOf: (id) => this.byId.get(id)?.publicKey,
      now: this.now,
      clockOffsetOf: (id) => this.byId.get(id)?.clockOffsetMs ?? 0,
    });
  }
}
