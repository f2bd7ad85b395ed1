// The page's home-screen icons as PNG, drawn here rather than kept as binaries in the repository:
// browsers install a web app only with raster icons of 192 and 512 px (the manifest names them),
// and no image library is needed for a disc and a ring on the page's accent colour. The same
// drawing as src/web/app/icon.svg, the tab's icon.
import { deflateSync } from 'node:zlib';

const ACCENT = [0x0b, 0x5f, 0xad];
const WHITE = [0xff, 0xff, 0xff];

/** CRC-32 of PNG chunks (ISO 3309, as the PNG specification §5.5 requires). */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** How much of pixel (x, y) is white: a disc and a ring around it, with soft edges one pixel wide. */
function coverage(x, y, size) {
  const d = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2) / size;
  const edge = 1 / size;
  const inside = (r) => Math.min(1, Math.max(0, (r - d) / edge + 0.5));
  return inside(0.16) + inside(0.34) - inside(0.28);
}

/** An opaque size × size PNG (8-bit RGB): the full square is the accent, so a maskable crop keeps it whole. */
export function iconPng(size) {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    for (let x = 0; x < size; x++) {
      const w = Math.min(1, coverage(x, y, size));
      for (let i = 0; i < 3; i++) raw[row + 1 + x * 3 + i] = Math.round(ACCENT[i] * (1 - w) + WHITE[i] * w);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
