/**
 * What a watcher may see of a contact's presence (issue 10, DESIGN.md §6): the contact's own
 * setting decides. `mesh`: anyone logged in on the mesh sees online or offline; `contacts`: only
 * the people the contact has among their own contacts; `nobody`: no one. Whatever may not be seen
 * is `hidden`, the same answer as for an unknown name, so a watcher cannot tell the two apart.
 */
import type { PresenceSetting } from '../store/accounts.js';

export type Seen = 'online' | 'offline' | 'hidden';

export interface PresenceSources {
  /** A local user's setting; undefined for no such user. */
  setting(user: string): PresenceSetting | undefined;
  /** A local user has a live registration. */
  online(user: string): boolean;
  /** `owner` (local) has `contact` among their contacts. */
  hasContact(owner: string, contact: string): boolean;
  /** What another node publishes of `user@domain`: undefined when it publishes nothing of them. */
  remote(address: string): 'online' | 'offline' | undefined;
}

/** What `watcher`, a local user, sees of `contact` (a local name or `user@domain`). */
export function seenBy(watcher: string, contact: string, sources: PresenceSources): Seen {
  if (contact.includes('@')) return sources.remote(contact) ?? 'hidden';
  const setting = contact === watcher ? 'mesh' : sources.setting(contact);
  if (setting === undefined || setting === 'nobody') return 'hidden';
  if (setting === 'contacts' && !sources.hasContact(contact, watcher)) return 'hidden';
  return sources.online(contact) ? 'online' : 'offline';
}

/**
 * What this node's descriptor publishes of its users' presence: those who show it to the whole mesh,
 * by whether they are registered. Contacts-only presence stays on the node: another node cannot
 * prove to us which of its users is asking.
 */
export function meshPresence(
  users: { names(): string[]; presence(user: string): PresenceSetting | undefined },
  isOnline: (user: string) => boolean,
): { online: string[]; offline: string[] } {
  const online: string[] = [];
  const offline: string[] = [];
  for (const name of users.names()) {
    if (users.presence(name) === 'mesh') (isOnline(name) ? online : offline).push(name);
  }
  return { online, offline };
}
