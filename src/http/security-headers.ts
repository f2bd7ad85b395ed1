/**
 * Headers every answer of the HTTPS port carries. The page loads only its own files and talks only
 * to its own origin (the JSON API and the SIP WebSocket, RFC 7118), so the CSP allows nothing else
 * and no inline script. No HSTS: with the node's self-signed certificate it would turn the
 * browser's "accept this certificate" into a refusal with no way past it.
 */
import { hostFromHeader } from './plain-page.js';

const FIXED = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * `connect-src 'self'` covers wss:// of the same host and port only in CSP Level 3 browsers; the
 * page's WebSocket origin is named as well, when the Host header is a well-formed host.
 */
function contentSecurityPolicy(hostHeader: string | undefined, port: number): string {
  const host = hostFromHeader(hostHeader);
  const ws = host === undefined ? '' : ` wss://${host}:${port}`;
  return `default-src 'self'; connect-src 'self'${ws}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;
}

export function securityHeaders(hostHeader: string | undefined, port: number): Record<string, string> {
  return { ...FIXED, 'Content-Security-Policy': contentSecurityPolicy(hostHeader, port) };
}
