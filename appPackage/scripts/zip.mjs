/**
 * A minimal zip writer (PKWARE APPNOTE 6.3): one local header + deflated data per entry, then the
 * central directory and its end record. No zip64, no data descriptors: a Teams package is a few
 * kilobytes, far below the 4 GiB and 65,535-entry limits of the classic format.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from './crc32.mjs';

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const LOCAL_HEADER_LENGTH = 30;
const CENTRAL_HEADER_LENGTH = 46;
const END_RECORD_LENGTH = 22;
/** 2.0: the version that introduced deflate, which is all a reader needs for these entries. */
const VERSION_NEEDED = 20;
const METHOD_DEFLATE = 8;
/** Bit 11: file names are UTF-8. */
const FLAG_UTF8_NAMES = 0x0800;
/**
 * A fixed timestamp so the same inputs give the same bytes: MS-DOS time 00:00:00 and date
 * 1980-01-01, the format's epoch (year field 0 = 1980, month in bits 5–8, day in bits 0–4).
 */
const DOS_TIME = 0;
const DOS_MONTH_SHIFT = 5;
const DOS_DATE = (1 << DOS_MONTH_SHIFT) | 1;

/**
 * @param {{ name: string, data: Uint8Array }[]} entries in the order they should appear
 * @returns {Buffer}
 */
export function writeZip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, 'utf8');
    const compressed = deflateRawSync(data);
    const crc = crc32(data);
    const local = Buffer.alloc(LOCAL_HEADER_LENGTH);
    local.writeUInt32LE(LOCAL_HEADER_SIGNATURE, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8_NAMES, 6);
    local.writeUInt16LE(METHOD_DEFLATE, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    // Bytes 28–29 (extra field length) stay 0.
    const central = Buffer.alloc(CENTRAL_HEADER_LENGTH);
    central.writeUInt32LE(CENTRAL_HEADER_SIGNATURE, 0);
    central.writeUInt16LE(VERSION_NEEDED, 4); // version made by: same spec level, MS-DOS attributes
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAG_UTF8_NAMES, 8);
    central.writeUInt16LE(METHOD_DEFLATE, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    // Extra, comment, disk number, attributes stay 0.
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, compressed);
    centrals.push(central, nameBytes);
    offset += LOCAL_HEADER_LENGTH + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(END_RECORD_LENGTH);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY_SIGNATURE, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
