/**
 * The session cookie (RFC 6265): `HttpOnly` so the page's script never sees it, `Secure` since the
 * page is served over HTTPS only, `SameSite=Strict` so no other site's page sends it along.
 */
import type { IncomingMessage } from 'node:http';

export const SESSION_COOKIE = 'trucada_session';

/** The session id the request carries, if any (the first cookie of that name). */
export function sessionIdOf(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(id: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${id}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}
