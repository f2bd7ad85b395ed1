/**
 * MESSAGE requests (RFC 3428) for users with no binding, kept until the user next registers and
 * delivered then, oldest first. When a user's box is full a new message is refused rather than an
 * old one dropped, so that its sender learns it was not kept (the proxy answers with an error).
 */
import type { Db, Row } from './database.js';

export interface StoredMessagesOptions {
  /** Messages kept for one user (`message_max_stored`); 0 keeps none. */
  maxPerUser: number;
  /** How long a message is kept for delivery (`message_max_age`), in ms. */
  maxAgeMs: number;
  /** Largest body accepted (`message_max_body`), in bytes. */
  maxBody: number;
  now: () => number;
}

export interface IncomingMessage {
  /** Lower-case local user name. */
  recipient: string;
  /** The From header field value (name-addr), to be sent again as the From of the delivery. */
  sender: string;
  contentType: string;
  body: Uint8Array;
}

export interface StoredMessage extends IncomingMessage {
  id: number;
  /** ms since 1970 */
  receivedAt: number;
}

export type StoreResult = 'stored' | 'full' | 'too-large';

/** Longest From value kept; a header this long has no business in a message to keep. */
export const SENDER_MAX = 1024;
/** Longest Content-Type value kept. */
export const CONTENT_TYPE_MAX = 256;

export class StoredMessages {
  constructor(
    private readonly db: Db,
    private readonly opts: StoredMessagesOptions,
  ) {}

  /** `message_max_stored`: what a full box holds. */
  get maxPerUser(): number {
    return this.opts.maxPerUser;
  }

  /** Keeps the message for its recipient, or says why not. */
  store(msg: IncomingMessage): StoreResult {
    if (msg.body.byteLength > this.opts.maxBody || msg.sender.length > SENDER_MAX || msg.contentType.length > CONTENT_TYPE_MAX) {
      return 'too-large';
    }
    if (this.opts.maxPerUser === 0) return 'full';
    return this.db.transaction(() => {
      // Expired messages no longer count against the limit.
      this.db.run('DELETE FROM stored_messages WHERE recipient = ? AND received_at < ?', [msg.recipient, this.cutoff()]);
      const held = Number(this.db.get('SELECT count(*) AS n FROM stored_messages WHERE recipient = ?', [msg.recipient])?.n);
      if (held >= this.opts.maxPerUser) return 'full';
      this.db.run('INSERT INTO stored_messages (recipient, sender, content_type, body, received_at) VALUES (?, ?, ?, ?, ?)', [
        msg.recipient, msg.sender, msg.contentType, msg.body, this.opts.now(),
      ]);
      return 'stored';
    });
  }

  /** The recipient's messages, oldest first; expired ones are left out and deleted. */
  pending(recipient: string): StoredMessage[] {
    const cutoff = this.cutoff();
    const rows = this.db.all(
      'SELECT id, recipient, sender, content_type, body, received_at FROM stored_messages WHERE recipient = ? ORDER BY id',
      [recipient],
    );
    const fresh = rows.filter((row) => Number(row.received_at) >= cutoff);
    // Written only when something expired: this runs at every REGISTER of the user.
    if (fresh.length < rows.length) {
      this.db.run('DELETE FROM stored_messages WHERE recipient = ? AND received_at < ?', [recipient, cutoff]);
    }
    return fresh.map(toStoredMessage);
  }

  /** Every user with a message waiting (read once at start, so a REGISTER need not ask). */
  recipients(): string[] {
    return this.db.all('SELECT DISTINCT recipient FROM stored_messages').map((row) => String(row.recipient));
  }

  /** Forgets a message once it has been delivered; false when it was not there. */
  delete(id: number): boolean {
    return Number.isSafeInteger(id) && this.db.run('DELETE FROM stored_messages WHERE id = ?', [id]) > 0;
  }

  /** Drops every message waiting for `recipient` (the account leaves); returns how many. */
  forget(recipient: string): number {
    return this.db.run('DELETE FROM stored_messages WHERE recipient = ?', [recipient]);
  }

  /** Drops every expired message; for a daily timer. Returns how many. */
  prune(): number {
    return this.db.run('DELETE FROM stored_messages WHERE received_at < ?', [this.cutoff()]);
  }

  private cutoff(): number {
    return this.opts.now() - this.opts.maxAgeMs;
  }
}

function toStoredMessage(row: Row): StoredMessage {
  return {
    id: Number(row.id),
    recipient: String(row.recipient),
    sender: String(row.sender),
    contentType: String(row.content_type),
    body: row.body instanceof Uint8Array ? row.body : new Uint8Array(0),
    receivedAt: Number(row.received_at),
  };
}
