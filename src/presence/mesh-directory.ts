/**
 * The mesh's users as one logged-in user may see them (issues 10 and 11): this node's users, then
 * those the peer nodes publish, each with its node and what the watcher may see of its presence
 * (seen.ts). For the page's dial box and contacts.
 */
import type { PresenceSetting } from '../store/accounts.js';
import { seenBy, type Seen } from './seen.js';

export interface DirectoryEntry {
  /** `bob` for this node's users, `bob@node3.mesh` for another node's. */
  readonly name: string;
  /** The node's domain. */
  readonly node: string;
  readonly seen: Seen;
}

export interface MeshDirectoryDeps {
  readonly domain: string;
  /** This node's user names. */
  readonly localNames: () => string[];
  /** The peer nodes' users, as `user@domain`. */
  readonly meshNames: () => string[];
  readonly setting: (user: string) => PresenceSetting | undefined;
  readonly online: (user: string) => boolean;
  /** The local users who have `contact` among their contacts (one query for the whole list). */
  readonly ownersOf: (contact: string) => ReadonlySet<string>;
  readonly remote: (address: string) => 'online' | 'offline' | undefined;
}

export function meshDirectory(watcher: string, deps: MeshDirectoryDeps): DirectoryEntry[] {
  const watchedBy = deps.ownersOf(watcher);
  const sources = { setting: deps.setting, online: deps.online, remote: deps.remote, hasContact: (owner: string) => watchedBy.has(owner) };
  const entry = (name: string): DirectoryEntry => ({ name, node: name.includes('@') ? name.slice(name.indexOf('@') + 1) : deps.domain, seen: seenBy(watcher, name, sources) });
  return [...deps.localNames(), ...deps.meshNames()].map(entry);
}
