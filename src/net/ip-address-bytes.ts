/** The network-order bytes of an IP address, as an X.509 iPAddress name holds them (RFC 5280 §4.2.1.6). */
import { isIP } from 'node:net';
import { parseIPv4 } from './ipv4.js';

export function ipAddressBytes(ip: string): Buffer {
  const family = isIP(ip);
  if (family === 4) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(parseIPv4(ip)!);
    return bytes;
  }
  if (family !== 6) throw new RangeError(`not an IP address: ${ip}`);
  // A zone (`%eth0`) is dropped; RFC 4291 §2.2: a dotted IPv4 tail (form 3) becomes two groups, then `::` stands for the missing zeros.
  const text = ip.replace(/%.*$/, '').replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []);
  const known = [...groups(head), ...groups(tail)].length;
  const all = tail === undefined ? groups(head) : [...groups(head), ...Array<string>(8 - known).fill('0'), ...groups(tail)];
  const bytes = Buffer.alloc(16);
  all.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2));
  return bytes;
}
