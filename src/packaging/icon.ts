import { createRequire } from 'node:module';

// Loaded when drawn, not with the module: the bundle carries the icon drawn at build time, and
// serve-stdio's start-up should not pay for zlib.
const zlib = () => createRequire(process.execPath)('node:zlib') as typeof import('node:zlib');

/**
 * The server's icon, 512×512, drawn here rather than kept as a binary: a blue tile with a white
 * bar chart on a baseline (a business database's answers), in PNG. The MCP Bundle carries it and
 * serverInfo.icons (MCP 2025-11-25) shows it in clients that show icons.
 */
const SIZE = 512;

function pixel(x: number, y: number): [number, number, number, number] {
  // A rounded tile: transparent outside a radius-96 corner.
  const r = 96;
  const cx = x < r ? r : x >= SIZE - r ? SIZE - r - 1 : x;
  const cy = y < r ? r : y >= SIZE - r ? SIZE - r - 1 : y;
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return [0, 0, 0, 0];
  // Four bars and a baseline, white on a vertical blue gradient.
  const bars = [
    [112, 176, 300],
    [200, 264, 220],
    [288, 352, 260],
    [376, 440, 150],
  ];
  const onBar = bars.some(([x0, x1, top]) => x >= x0 && x < x1 && y >= top && y < 404);
  const onBase = x >= 88 && x < 464 && y >= 404 && y < 424;
  if (onBar || onBase) return [255, 255, 255, 255];
  const t = y / SIZE;
  return [Math.round(34 + 20 * t), Math.round(84 + 30 * t), Math.round(196 - 40 * t), 255];
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib().crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

export function iconPng(): Buffer {
  const rows = Buffer.alloc(SIZE * (SIZE * 4 + 1));
  for (let y = 0; y < SIZE; y++) {
    const row = y * (SIZE * 4 + 1);
    rows[row] = 0;
    for (let x = 0; x < SIZE; x++) rows.set(pixel(x, y), row + 1 + x * 4);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', zlib().deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
