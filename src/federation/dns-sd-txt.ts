/**
 * DNS-SD TXT records (RFC 6763 §6): a list of `key=value` strings, each at most 255 bytes. Reading
 * takes what another host sent, so it is strict about size and lenient about the rest as the RFC
 * asks: a string without `=` is a boolean attribute (§6.4) and has no value for us; keys are
 * case-insensitive and only the first occurrence of a key counts (§6.4); an empty key is skipped.
 */

/** §6.2: a TXT record "should be under 1300 bytes"; anything larger is not one of ours. */
export const MAX_TXT_BYTES = 1300;

export function encodeTxt(pairs: readonly (readonly [string, string])[]): Buffer[] {
  return pairs.map(([key, value]) => {
    const s = Buffer.from(`${key}=${value}`);
    if (s.length > 255) throw new RangeError(`TXT string ${key} is over 255 bytes`);
    return s;
  });
}

/** The key=value pairs of a TXT record's strings, or the reason it is refused. */
export function readTxt(strings: readonly Buffer[]): { ok: true; pairs: Map<string, string> } | { ok: false; why: string } {
  const size = strings.reduce((n, s) => n + 1 + s.length, 0);
  if (size > MAX_TXT_BYTES) return { ok: false, why: `TXT record of ${size} bytes (over ${MAX_TXT_BYTES})` };
  const pairs = new Map<string, string>();
  for (const s of strings) {
    const eq = s.indexOf(0x3d);
    if (eq <= 0) continue;
    // §6.4: keys are printable US-ASCII (0x20-0x7E) other than `=`.
    const key = s.subarray(0, eq).toString('latin1');
    if (!/^[\x20-\x7e]+$/.test(key)) continue;
    const lower = key.toLowerCase();
    if (!pairs.has(lower)) pairs.set(lower, s.subarray(eq + 1).toString('utf8'));
  }
  return { ok: true, pairs };
}
