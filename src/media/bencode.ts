/**
 * Bencoding, the serialisation of rtpengine's ng control protocol (BEP 3's integers, byte strings,
 * lists and dictionaries). Strings are read back as UTF-8 text: everything the ng protocol carries
 * (SDP, flags, call ids, statistics keys) is text. The decoder reads untrusted datagrams: it refuses
 * what BEP 3 forbids (leading zeros, `-0`, non-string keys), bounds nesting and integer size, and
 * tolerates unsorted keys, as rtpengine's own parser does.
 */

export type BencodeValue = string | number | BencodeValue[] | BencodeDict;
export interface BencodeDict {
  [key: string]: BencodeValue;
}
/** What the encoder takes: dictionaries may hold `undefined`, which is left out (optional parameters). */
export type BencodeInput = string | number | readonly BencodeInput[] | { readonly [key: string]: BencodeInput | undefined };

export class BencodeError extends Error {
  constructor(
    readonly at: number,
    reason: string,
  ) {
    super(`bencode: ${reason} at byte ${at}`);
  }
}

/** Nesting deeper than any ng reply (statistics are four levels deep). */
const MAX_DEPTH = 32;

export function encode(value: BencodeInput): Buffer {
  const parts: Buffer[] = [];
  write(value, parts);
  return Buffer.concat(parts);
}

function write(value: BencodeInput, parts: Buffer[]): void {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    parts.push(Buffer.from(`${bytes.length}:`), bytes);
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`bencode: ${value} is not an integer`);
    parts.push(Buffer.from(`i${value}e`));
  } else if (Array.isArray(value)) {
    parts.push(Buffer.from('l'));
    for (const item of value as readonly BencodeInput[]) write(item, parts);
    parts.push(Buffer.from('e'));
  } else {
    // BEP 3: keys in sorted order, compared as raw strings.
    const dict = value as { readonly [key: string]: BencodeInput | undefined };
    const keys = Object.keys(dict)
      .filter((k) => dict[k] !== undefined)
      .sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
    parts.push(Buffer.from('d'));
    for (const key of keys) {
      write(key, parts);
      write(dict[key]!, parts);
    }
    parts.push(Buffer.from('e'));
  }
}

/** Decodes exactly one value filling `data` from `start`; trailing bytes are an error. */
export function decode(data: Buffer, start = 0): BencodeValue {
  const reader = { pos: start };
  const value = read(data, reader, 0);
  if (reader.pos !== data.length) throw new BencodeError(reader.pos, 'trailing bytes');
  return value;
}

const DIGIT = /^(0|-?[1-9][0-9]*)$/;

function read(data: Buffer, r: { pos: number }, depth: number): BencodeValue {
  if (depth > MAX_DEPTH) throw new BencodeError(r.pos, 'nested too deeply');
  const c = data[r.pos];
  if (c === undefined) throw new BencodeError(r.pos, 'unexpected end');
  if (c === 0x69 /* i */) {
    const end = data.indexOf(0x65 /* e */, r.pos + 1);
    const text = end < 0 ? '' : data.toString('latin1', r.pos + 1, end);
    if (end < 0 || text.length > 16 || !DIGIT.test(text)) throw new BencodeError(r.pos, 'bad integer');
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new BencodeError(r.pos, 'integer too large');
    r.pos = end + 1;
    return n;
  }
  if (c === 0x6c /* l */) {
    r.pos++;
    const list: BencodeValue[] = [];
    while (data[r.pos] !== 0x65) list.push(read(data, r, depth + 1));
    r.pos++;
    return list;
  }
  if (c === 0x64 /* d */) {
    r.pos++;
    const dict: BencodeDict = Object.create(null) as BencodeDict;
    while (data[r.pos] !== 0x65) {
      const at = r.pos;
      const key = read(data, r, depth + 1);
      if (typeof key !== 'string') throw new BencodeError(at, 'dictionary key is not a string');
      dict[key] = read(data, r, depth + 1);
    }
    r.pos++;
    return dict;
  }
  return readString(data, r);
}

function readString(data: Buffer, r: { pos: number }): string {
  const colon = data.indexOf(0x3a /* : */, r.pos);
  const text = colon < 0 ? '' : data.toString('latin1', r.pos, colon);
  if (colon < 0 || text.length > 10 || !/^(0|[1-9][0-9]*)$/.test(text)) throw new BencodeError(r.pos, 'bad string length');
  const length = Number(text);
  const from = colon + 1;
  if (from + length > data.length) throw new BencodeError(r.pos, 'string runs past the end');
  r.pos = from + length;
  return data.toString('utf8', from, from + length);
}
