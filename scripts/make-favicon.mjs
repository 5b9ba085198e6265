#!/usr/bin/env node
// Draws public/favicon.ico (a blue shield with a white S, 16 and 32 px) from code, so the icon can be changed
// without an image editor: `node scripts/make-favicon.mjs`. Each pixel is sampled 8x8 times for smooth edges.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BLUE = [0x1d, 0x4e, 0xd8];
const WHITE = [0xff, 0xff, 0xff];

/** The shield in unit coordinates (y down): straight sides, then narrowing to a point. */
function inShield(x, y) {
  if (y < 0.06 || y > 0.96) return false;
  const half = y < 0.5 ? 0.42 : 0.42 * Math.cos(((y - 0.5) / 0.46) * (Math.PI / 2));
  return Math.abs(x - 0.5) <= half;
}

/** The S as a polyline: an upper arc turning left, a lower arc turning right, meeting in the middle. */
const sPoints = (() => {
  const points = [];
  const r = 0.125;
  for (let deg = 25; deg <= 270; deg += 5) points.push([0.5 + r * Math.cos((deg * Math.PI) / 180), 0.375 - r * Math.sin((deg * Math.PI) / 180)]);
  for (let deg = 90; deg >= -155; deg -= 5) points.push([0.5 + r * Math.cos((deg * Math.PI) / 180), 0.625 - r * Math.sin((deg * Math.PI) / 180)]);
  return points;
})();

function distanceToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function inS(x, y, halfStroke) {
  for (let i = 1; i < sPoints.length; i++) if (distanceToSegment(x, y, sPoints[i - 1], sPoints[i]) <= halfStroke) return true;
  return false;
}

/** BGRA rows, top row first. */
function render(size) {
  const n = 8;
  // At 16 px the stroke is kept near two pixels wide so the S stays readable.
  const halfStroke = size <= 16 ? 0.065 : 0.055;
  const pixels = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let shield = 0;
      let letter = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          if (!inShield(x, y)) continue;
          shield++;
          if (inS(x, y, halfStroke)) letter++;
        }
      }
      const alpha = shield / (n * n);
      const white = shield ? letter / shield : 0;
      const rgb = BLUE.map((c, i) => Math.round(c + (WHITE[i] - c) * white));
      const o = (py * size + px) * 4;
      pixels[o] = rgb[2];
      pixels[o + 1] = rgb[1];
      pixels[o + 2] = rgb[0];
      pixels[o + 3] = Math.round(alpha * 255);
    }
  }
  return pixels;
}

/** One icon image as an ICO holds it: a BMP header with doubled height, bottom-up BGRA rows, an empty AND mask. */
function bmpImage(size) {
  const rows = render(size);
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8);
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(size * size * 4, 20);
  const bottomUp = Buffer.alloc(rows.length);
  for (let y = 0; y < size; y++) rows.copy(bottomUp, (size - 1 - y) * size * 4, y * size * 4, (y + 1) * size * 4);
  const maskRowBytes = Math.ceil(size / 32) * 4;
  return Buffer.concat([header, bottomUp, Buffer.alloc(maskRowBytes * size)]);
}

export function favicon(sizes = [16, 32]) {
  const images = sizes.map(bmpImage);
  const head = Buffer.alloc(6 + 16 * sizes.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(sizes.length, 4);
  let offset = head.length;
  sizes.forEach((size, i) => {
    const e = 6 + 16 * i;
    head.writeUInt8(size % 256, e);
    head.writeUInt8(size % 256, e + 1);
    head.writeUInt16LE(1, e + 4);
    head.writeUInt16LE(32, e + 6);
    head.writeUInt32LE(images[i].length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += images[i].length;
  });
  return Buffer.concat([head, ...images]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../public/favicon.ico");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, favicon());
  console.log(`Wrote ${out}`);
}
