/**
 * Reading raw SIP text as a peer received it, for assertions about what crossed the node: header
 * values by name (compact forms too, RFC 3261 §7.3.3) and the entries of a comma-separated header
 * such as Via or Record-Route, wherever the sender put them on one line or several (§7.3.1).
 */

/** RFC 3261 §7.3.3 compact forms of the headers tests look at. */
const COMPACT: Record<string, string> = { via: 'v', from: 'f', to: 't', 'call-id': 'i', contact: 'm' };

/** The first line of a SIP message. */
export function startLine(message: string): string {
  return message.split(/\r?\n/, 1)[0] ?? '';
}

/** Whether `message` is a response (any status) or, given `status`, one with that status. */
export function isResponse(message: string, status?: number): boolean {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(startLine(message));
  return m !== null && (status === undefined || Number(m[1]) === status);
}

/** The method in the CSeq of `message`. */
export function cseqMethod(message: string): string | undefined {
  return /\d+\s+(\S+)/.exec(headerValues(message, 'CSeq')[0] ?? '')?.[1];
}

/**
 * `"<status> <CSeq method>"` of every response among `messages` with a status of at least
 * `minStatus`, in order: `['407 INVITE', '200 CANCEL', '487 INVITE']`.
 */
export function responsesFrom(messages: readonly string[], minStatus: number): string[] {
  return messages
    .map((m) => ({ m, status: Number(/^SIP\/2\.0 (\d{3}) /.exec(startLine(m))?.[1] ?? 0) }))
    .filter(({ status }) => status >= minStatus)
    .map(({ m, status }) => `${status} ${cseqMethod(m)}`);
}

/** The value of every `name` header line in the header part of `message`, in order. */
export function headerValues(message: string, name: string): string[] {
  const names = [name.toLowerCase(), COMPACT[name.toLowerCase()]].filter((n): n is string => n !== undefined);
  const head = message.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const values: string[] = [];
  for (const line of head.split(/\r?\n/).slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && names.includes(line.slice(0, colon).trim().toLowerCase())) values.push(line.slice(colon + 1).trim());
  }
  return values;
}

/** Every entry of a comma-separated header, over all its lines; commas inside <> or "" do not split. */
export function headerEntries(message: string, name: string): string[] {
  const entries: string[] = [];
  for (const value of headerValues(message, name)) {
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i < value.length; i++) {
      const c = value[i];
      if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
      else if (!quoted && c === '<') depth++;
      else if (!quoted && c === '>') depth--;
      else if (!quoted && depth === 0 && c === ',') {
        entries.push(value.slice(start, i).trim());
        start = i + 1;
      }
    }
    entries.push(value.slice(start).trim());
  }
  return entries.filter((e) => e !== '');
}
