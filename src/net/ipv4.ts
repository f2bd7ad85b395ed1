/**
 * IPv4 addresses as Node's sockets write them, parsed once here for every layer that needs the
 * number: the STUN fast path (per packet, so no regular expression and no allocation), the private
 * range test of the registrar, an X.509 iPAddress name.
 */

/** A dotted-quad IPv4 address as Node reports it (also `::ffff:a.b.c.d`), as a number; else undefined. */
export function parseIPv4(address: string): number | undefined {
  let i = address.startsWith('::ffff:') ? 7 : 0;
  let value = 0;
  for (let part = 0; part < 4; part++) {
    const start = i;
    let octet = 0;
    while (i < address.length && i - start < 3) {
      const digit = address.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      octet = octet * 10 + digit;
      i++;
    }
    // One to three digits, no leading zero, at most 255: anything else is not one (the STUN fast path then takes the general one).
    if (i === start || octet > 255 || (i - start > 1 && address.charCodeAt(start) === 48)) return undefined;
    value = value * 256 + octet;
    if (part < 3) {
      if (address.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === address.length ? value : undefined;
}
