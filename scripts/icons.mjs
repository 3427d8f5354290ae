// Renders app/icon.svg into the icons browsers ask for by name: app/favicon.ico (16, 32
// and 48 px PNGs in an ICO directory, which every browser reads) and app/apple-icon.png
// (180 px, iOS home screens). Next serves all three from app/ by its file conventions.
// Run after editing the SVG: node scripts/icons.mjs
import sharp from 'sharp';
import { Buffer } from 'node:buffer';
import { writeFileSync, readFileSync } from 'node:fs';
const svg = readFileSync('app/icon.svg');
await sharp(svg, { density: 576 }).resize(180, 180).png().toFile('app/apple-icon.png');
const sizes = [16, 32, 48];
const pngs = await Promise.all(sizes.map((s) => sharp(svg, { density: 576 }).resize(s, s).png().toBuffer()));
const header = Buffer.alloc(6);
header.writeUInt16LE(0, 0);
header.writeUInt16LE(1, 2);
header.writeUInt16LE(sizes.length, 4);
let offset = 6 + 16 * sizes.length;
const dirs = sizes.map((s, i) => {
  const d = Buffer.alloc(16);
  d.writeUInt8(s, 0);
  d.writeUInt8(s, 1);
  d.writeUInt8(0, 2);
  d.writeUInt8(0, 3);
  d.writeUInt16LE(1, 4);
  d.writeUInt16LE(32, 6);
  d.writeUInt32LE(pngs[i].length, 8);
  d.writeUInt32LE(offset, 12);
  offset += pngs[i].length;
  return d;
});
writeFileSync('app/favicon.ico', Buffer.concat([header, ...dirs, ...pngs]));
