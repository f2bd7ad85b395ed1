/**
 * The Via header value (RFC 3261 §20.42, §25.1 via-parm): sent-protocol, sent-by and parameters.
 * `branch`, `received`, `rport` and the rest are in `params` (rport is null when sent as a flag).
 */
import { isIPv6 } from 'node:net';
import { SipParseError } from './parse-error.js';
import type { SipMessage } from './message.js';
import { formatParams, parseParams } from './params.js';
import { ParseMemo } from './parse-memo.js';

/** Read-only: a parsed Via is shared by every reader of the same text (`parseVia`). */
export interface Via {
  /** Protocol name and version, upper-case: 'SIP/2.0'. */
  readonly protocol: string;
  /** Upper-case: UDP, TCP, TLS, SCTP, WS, WSS or another token. */
  readonly transport: string;
  /** Lower-case; an IPv6 address keeps its brackets. */
  readonly host: string;
  readonly port?: number;
  readonly params: ReadonlyMap<string, string | null>;
}

const TOKEN = "[A-Za-z0-9\\-.!%*_+`'~]+";
// SLASH and COLON allow whitespace on both sides (§25.1); sent-protocol and sent-by are split by LWS.
const VIA = new RegExp(
  `^[ \\t]*(${TOKEN})[ \\t]*/[ \\t]*(${TOKEN})[ \\t]*/[ \\t]*(${TOKEN})[ \\t]+` +
    `(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9][A-Za-z0-9_.-]*)(?:[ \\t]*:[ \\t]*(\\d{1,5}))?(.*)$`,
  's',
);

/** Each request's top Via is read by the transport, the transaction table, the authenticator and the registrar or proxy. */
const vias = new ParseMemo(2048, parseViaText);

export function parseVia(s: string): Via {
  return vias.get(s);
}

/** The Via `v` as the header value it is written as; parsing that text gives `v` back without reading it. */
export function writeVia(v: Via): string {
  const text = formatVia(v);
  vias.remember(text, v);
  return text;
}

function parseViaText(s: string): Via {
  const m = VIA.exec(s);
  if (!m) throw bad();
  const [, name, version, transport, rawHost, port, rest] = m as unknown as string[];
  const host = rawHost!.toLowerCase();
  if (host.startsWith('[') && !isIPv6(host.slice(1, -1))) throw bad();
  if (port !== undefined && Number(port) > 65535) throw bad();
  let params;
  try {
    params = parseParams(rest!);
  } catch {
    throw bad();
  }
  return { protocol: `${name!.toUpperCase()}/${version}`, transport: transport!.toUpperCase(), host, ...(port !== undefined ? { port: Number(port) } : {}), params };
}

/** The message's top Via (§18.2.1, §17.1.3, §17.2.3), or undefined when it has none that can be read. */
export function topVia(message: SipMessage): Via | undefined {
  const top = message.headers.first('via');
  if (top === undefined) return undefined;
  try {
    return parseVia(top);
  } catch {
    return undefined;
  }
}

export function formatVia(v: Via): string {
  const host = v.host.includes(':') && !v.host.startsWith('[') ? `[${v.host}]` : v.host;
  const port = v.port === undefined ? '' : `:${v.port}`;
  return `${v.protocol}/${v.transport} ${host}${port}${formatParams(v.params)}`;
}

function bad(): SipParseError {
  return new SipParseError('BAD_VIA', 'Bad Via header');
}
