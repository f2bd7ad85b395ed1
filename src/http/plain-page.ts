/**
 * The page of the plain HTTP port: browsers give the microphone only to secure pages, so it only
 * explains that and links to the HTTPS port of the same host. The host comes from the request's
 * Host header when that is a well-formed host name or address, else from the socket; it is
 * HTML-escaped in any case. No external resources: the node may have no internet.
 */
import { isIP } from 'node:net';

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The host part of a Host header (`name`, `name:port`, `[v6]:port`), or undefined when malformed. */
export function hostFromHeader(header: string | undefined): string | undefined {
  if (header === undefined || header.length > 260) return undefined;
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header);
  if (v6) return isIP(v6[1]!) === 6 ? `[${v6[1]!.toLowerCase()}]` : undefined;
  const m = /^([^:]+)(?::\d{1,5})?$/.exec(header);
  if (!m || m[1]!.length > 253 || !HOST_NAME.test(m[1]!)) return undefined;
  return m[1]!.toLowerCase();
}

/** The HTTPS address to send a visitor to: the host they asked for, or the address they reached. */
export function httpsUrl(hostHeader: string | undefined, localAddress: string, httpsPort: number): string {
  const local = isIP(localAddress) === 6 ? `[${localAddress.replace(/%/g, '%25')}]` : localAddress;
  const host = hostFromHeader(hostHeader) ?? local;
  return httpsPort === 443 ? `https://${host}/` : `https://${host}:${httpsPort}/`;
}

/**
 * `fingerprint`: the SHA-256 of the HTTPS certificate as colon-separated hex, for a visitor to
 * compare with what the browser shows before accepting the self-signed certificate.
 */
export function plainPage(hostHeader: string | undefined, localAddress: string, httpsPort: number, fingerprint: string): string {
  const url = escapeHtml(httpsUrl(hostHeader, localAddress, httpsPort));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>trucada</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto;padding:0 1em;line-height:1.5}a{font-size:1.2em}code{overflow-wrap:anywhere}</style>
</head><body>
<h1>trucada</h1>
<p>The softphone of this node needs a secure page: browsers give the microphone only to HTTPS pages.</p>
<p lang="ca">El telèfon d'aquest node necessita una pàgina segura: els navegadors només donen el micròfon a les pàgines HTTPS.</p>
<p lang="es">El teléfono de este nodo necesita una página segura: los navegadores solo dan el micrófono a las páginas HTTPS.</p>
<p><a href="${url}">${url}</a></p>
<p>The node signs its own certificate, so the browser asks once whether to trust it. Before you accept it, check that the browser shows this SHA-256 fingerprint:</p>
<p><code>${escapeHtml(fingerprint)}</code></p>
</body></html>
`;
}
