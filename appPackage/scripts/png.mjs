/**
 * A minimal PNG encoder (8-bit RGBA, no interlace) so the icons are generated from code with
 * Node's own zlib instead of an image library. Layout per the PNG spec (ISO/IEC 15948):
 * signature, IHDR, one IDAT, IEND; every chunk is length + type + data + CRC-32(type + data).
 */
import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.mjs';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const BIT_DEPTH = 8;
const COLOR_TYPE_RGBA = 6;
const BYTES_PER_PIXEL = 4;
/** Filter type 0 ("None") on every scanline: the icons are tiny, so smarter filters buy nothing. */
const FILTER_NONE = 0;
const IHDR_LENGTH = 13;

/**
 * @param {number} width
 * @param {number} height
 * @param {Uint8Array} rgba width × height × 4 bytes, row by row
 * @returns {Buffer}
 */
export function encodePng(width, height, rgba) {
  if (rgba.length !== width * height * BYTES_PER_PIXEL) throw new Error(`encodePng: expected ${width * height * BYTES_PER_PIXEL} bytes, got ${rgba.length}`);
  const header = Buffer.alloc(IHDR_LENGTH);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(BIT_DEPTH, 8);
  header.writeUInt8(COLOR_TYPE_RGBA, 9);
  // Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace (the only defined values).
  const rowBytes = width * BYTES_PER_PIXEL;
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (rowBytes + 1)] = FILTER_NONE;
    raw.set(rgba.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  }
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** @param {string} type @param {Buffer} data */
function chunk(type, data) {
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData), 0);
  return Buffer.concat([length, typeAndData, crc]);
}
