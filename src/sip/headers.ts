/**
 * An ordered list of SIP header fields, looked up by name case-insensitively with the compact
 * forms of RFC 3261 §7.3.3 (and later RFCs) mapped to their long names.
 *
 * Values are kept as received (unfolded, trimmed); structured views (Via, name-addr, CSeq) are
 * parsed on demand by the helpers beside this file, so a proxy relays what it did not touch unchanged.
 */

const COMPACT: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

/** Headers whose value may be a comma-separated list (RFC 3261 §7.3.1); others are never split. */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow-events',
  'content-encoding',
  'in-reply-to',
]);

/** The canonical (lower-case, long) form of a header name. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  // Compact forms are one letter; looking every long name up in COMPACT would cost V8 a string
  // table probe per call (a keyed load with a string it has not internalised).
  return lower.length === 1 ? COMPACT[lower] ?? lower : lower;
}

export interface HeaderField {
  /** The name as it is written on the wire (kept as received, or as set). */
  readonly name: string;
  readonly value: string;
}

export class Headers {
  private readonly fields: HeaderField[] = [];
  /**
   * `canonicalName` of each field, index for index: computed once when the field is stored, as
   * every lookup compares against every field and lower-casing the names each time cost more
   * than the rest of the lookup.
   */
  private readonly canonical: string[] = [];

  constructor(fields: Iterable<HeaderField> = []) {
    for (const f of fields) this.append(f.name, f.value);
  }

  /** Number of header fields (lines), not values. */
  get size(): number {
    return this.fields.length;
  }

  has(name: string): boolean {
    return this.canonical.includes(canonicalName(name));
  }

  /** The first field's whole value, or undefined. */
  get(name: string): string | undefined {
    const at = this.canonical.indexOf(canonicalName(name));
    return at < 0 ? undefined : this.fields[at]!.value;
  }

  /**
   * Every value of a header in order: fields repeated on several lines and, for list headers,
   * comma-separated values within a line (commas inside quotes or <> do not split).
   */
  getAll(name: string): string[] {
    const c = canonicalName(name);
    const list = LIST_HEADERS.has(c);
    const out: string[] = [];
    for (let i = 0; i < this.fields.length; i++) {
      if (this.canonical[i] !== c) continue;
      if (list) out.push(...splitList(this.fields[i]!.value));
      else out.push(this.fields[i]!.value);
    }
    return out;
  }

  /** The first value of a header: for a list header the first of its first field, split no further. */
  first(name: string): string | undefined {
    const c = canonicalName(name);
    const at = this.canonical.indexOf(c);
    if (at < 0) return undefined;
    const value = this.fields[at]!.value;
    return LIST_HEADERS.has(c) ? splitList(value, 1)[0] : value;
  }

  /** Replace every field of this name with one field (appended where the first one stood). */
  set(name: string, value: string): void {
    const at = this.canonical.indexOf(canonicalName(name));
    this.delete(name);
    if (at < 0 || at > this.fields.length) this.append(name, value);
    else this.insert(at, name, value);
  }

  append(name: string, value: string): void {
    this.fields.push({ name, value });
    this.canonical.push(canonicalName(name));
  }

  /** Insert above every other field of the same name (Via, Record-Route are pushed on top). */
  prepend(name: string, value: string): void {
    const at = this.canonical.indexOf(canonicalName(name));
    if (at < 0) this.append(name, value);
    else this.insert(at, name, value);
  }

  /** Remove the first value of a header (splitting a list line if needed); returns it. */
  shift(name: string): string | undefined {
    const c = canonicalName(name);
    const at = this.canonical.indexOf(c);
    if (at < 0) return undefined;
    const field = this.fields[at]!;
    const values = LIST_HEADERS.has(c) ? splitList(field.value) : [field.value];
    const first = values.shift();
    if (values.length === 0) this.removeAt(at);
    else this.fields[at] = { name: field.name, value: values.join(', ') };
    return first;
  }

  delete(name: string): void {
    const c = canonicalName(name);
    for (let i = this.fields.length - 1; i >= 0; i--) {
      if (this.canonical[i] === c) this.removeAt(i);
    }
  }

  entries(): readonly HeaderField[] {
    return this.fields;
  }

  /** The canonical name of each field, index for index with `entries()`. */
  canonicalNames(): readonly string[] {
    return this.canonical;
  }

  clone(): Headers {
    return new Headers(this.fields);
  }

  private insert(at: number, name: string, value: string): void {
    this.fields.splice(at, 0, { name, value });
    this.canonical.splice(at, 0, canonicalName(name));
  }

  private removeAt(at: number): void {
    this.fields.splice(at, 1);
    this.canonical.splice(at, 1);
  }
}

/** Split a list header value on commas that are outside quoted strings and <...>; at most `max` parts. */
export function splitList(value: string, max = Infinity): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') angle = true;
    else if (ch === '>') angle = false;
    else if (ch === ',' && !angle) {
      const part = value.slice(start, i).trim();
      if (part) out.push(part);
      if (out.length >= max) return out;
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last) out.push(last);
  return out;
}
