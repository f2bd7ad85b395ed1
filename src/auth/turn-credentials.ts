/**
 * Short-lived TURN credentials in coturn's REST scheme (`use-auth-secret`, after
 * draft-uberti-behave-turn-rest-00 §2.2): the user name carries its own expiry, and the password is
 * an HMAC of it under the secret coturn shares, so coturn checks them without asking the node.
 * Both clocks must agree: coturn refuses a name whose time has passed by its own clock.
 */
import { createHmac } from 'node:crypto';

export interface TurnCredentials {
  /** `<expiry unix time>:<user>`. */
  readonly username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  readonly credential: string;
}

export function turnCredentials(secret: string, user: string, ttlSeconds: number, nowMs: number): TurnCredentials {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:${user}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}
