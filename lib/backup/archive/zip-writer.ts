import { crc32 } from "node:zlib";
import type { Readable } from "node:stream";
import { deflateInParallel } from "@/lib/backup/archive/parallel-deflate";
import { memoryStore, type ByteStore } from "@/lib/backup/archive/spool";

/**
 * A small standard zip writer (PKWARE APPNOTE 6.3) for entries whose data is ready (already deflated
 * elsewhere, e.g. in the thread pool) or streamed. Written here because archiver deflates one entry at a
 * time on the main thread and offers no way to add data compressed elsewhere. Zip64 fields are written
 * whenever a size, an offset or the entry count passes the classic limits, so any size works.
 */

const MAX32 = 0xffffffff;
const FLAG_UTF8 = 0x0800;
const FLAG_DESCRIPTOR = 0x0008;
const UNIX = 3 << 8;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

export interface EntryMeta {
  name: string;
  mode: number;
  mtime: Date;
  kind?: "file" | "directory" | "symlink";
}

export interface PreparedData {
  /** 0 stored, 8 deflated. */
  method: 0 | 8;
  crc: number;
  size: number;
  data: Buffer;
}

interface CentralRecord {
  meta: EntryMeta;
  method: number;
  flags: number;
  crc: number;
  size: number;
  csize: number;
  offset: number;
}

function dosDateTime(date: Date): { time: number; date: number } {
  const year = Math.min(Math.max(date.getFullYear(), 1980), 2107);
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    date: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

function externalAttributes(meta: EntryMeta): number {
  const perm = meta.mode & 0o7777;
  if (meta.kind === "directory") return (((S_IFDIR | perm) << 16) | 0x10) >>> 0;
  if (meta.kind === "symlink") return ((S_IFLNK | (perm || 0o777)) << 16) >>> 0;
  return ((S_IFREG | perm) << 16) >>> 0;
}

export class ZipWriter {
  private offset = 0;

  /**
   * `write` must resolve once the sink can take more (backpressure). The central directory's records wait
   * in `central` until the end: a file spool keeps memory flat for any number of entries.
   */
  constructor(
    private readonly write: (chunk: Buffer) => Promise<void>,
    private readonly central: ByteStore = memoryStore(),
  ) {}

  get bytesWritten(): number {
    return this.offset;
  }

  private async emit(chunk: Buffer): Promise<void> {
    this.offset += chunk.length;
    await this.write(chunk);
  }

  private localHeader(meta: EntryMeta, method: number, flags: number, crc: number, size: number, csize: number): Buffer {
    const nameLength = Buffer.byteLength(meta.name, "utf8");
    const zip64 = size >= MAX32 || csize >= MAX32;
    const extraLength = zip64 ? 20 : 0;
    // One buffer for header, name and extra field, from Node's pool when small: three allocations and a
    // concat per entry were a real part of what 200,000 small files cost in collecting.
    const h = Buffer.allocUnsafe(30 + nameLength + extraLength);
    const { time, date } = dosDateTime(meta.mtime);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(zip64 ? 45 : 20, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(method, 8);
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    h.writeUInt32LE(crc >>> 0, 14);
    h.writeUInt32LE(zip64 ? MAX32 : csize, 18);
    h.writeUInt32LE(zip64 ? MAX32 : size, 22);
    h.writeUInt16LE(nameLength, 26);
    h.writeUInt16LE(extraLength, 28);
    h.write(meta.name, 30, nameLength, "utf8");
    if (zip64) {
      const at = 30 + nameLength;
      h.writeUInt16LE(0x0001, at);
      h.writeUInt16LE(16, at + 2);
      h.writeBigUInt64LE(BigInt(size), at + 4);
      h.writeBigUInt64LE(BigInt(csize), at + 12);
    }
    return h;
  }

  /** An entry whose bytes are known in full: sizes and CRC go in the local header. */
  async addPrepared(meta: EntryMeta, prepared: PreparedData): Promise<void> {
    const offset = this.offset;
    const flags = FLAG_UTF8;
    await this.emit(this.localHeader(meta, prepared.method, flags, prepared.crc, prepared.size, prepared.data.length));
    if (prepared.data.length) await this.emit(prepared.data);
    await this.central.append(
      this.centralRecord({ meta, method: prepared.method, flags, crc: prepared.crc, size: prepared.size, csize: prepared.data.length, offset }),
    );
  }

  /**
   * An entry streamed from `source`, deflated on the way when `level` > 0: sizes and CRC follow the data
   * in a data descriptor. `onChunk` sees every source chunk (for hashing and progress).
   */
  async addStream(meta: EntryMeta, source: AsyncIterable<Buffer> | Readable, level: number, onChunk: (chunk: Buffer) => void): Promise<number> {
    const offset = this.offset;
    const method = level > 0 ? 8 : 0;
    const flags = FLAG_UTF8 | FLAG_DESCRIPTOR;
    await this.emit(this.localHeader(meta, method, flags, 0, 0, 0));
    let crc = 0;
    let size = 0;
    let csize = 0;
    const tapped = async function* () {
      for await (const chunk of source) {
        const buf = chunk as Buffer;
        crc = crc32(buf, crc);
        size += buf.length;
        onChunk(buf);
        yield buf;
      }
    };
    for await (const out of method === 8 ? deflateInParallel(tapped(), level) : tapped()) {
      csize += out.length;
      await this.emit(out);
    }
    const zip64 = size >= MAX32 || csize >= MAX32;
    const d = Buffer.alloc(zip64 ? 24 : 16);
    d.writeUInt32LE(0x08074b50, 0);
    d.writeUInt32LE(crc >>> 0, 4);
    if (zip64) {
      d.writeBigUInt64LE(BigInt(csize), 8);
      d.writeBigUInt64LE(BigInt(size), 16);
    } else {
      d.writeUInt32LE(csize, 8);
      d.writeUInt32LE(size, 12);
    }
    await this.emit(d);
    await this.central.append(this.centralRecord({ meta, method, flags, crc, size, csize, offset }));
    return size;
  }

  private centralRecord(r: CentralRecord): Buffer {
    const nameLength = Buffer.byteLength(r.meta.name, "utf8");
    const big: number[] = [];
    if (r.size >= MAX32) big.push(r.size);
    if (r.csize >= MAX32) big.push(r.csize);
    if (r.offset >= MAX32) big.push(r.offset);
    const extraLength = big.length ? 4 + 8 * big.length : 0;
    const version = big.length ? 45 : 20;
    const { time, date } = dosDateTime(r.meta.mtime);
    const h = Buffer.allocUnsafe(46 + nameLength + extraLength);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(UNIX | version, 4);
    h.writeUInt16LE(version, 6);
    h.writeUInt16LE(r.flags, 8);
    h.writeUInt16LE(r.method, 10);
    h.writeUInt16LE(time, 12);
    h.writeUInt16LE(date, 14);
    h.writeUInt32LE(r.crc >>> 0, 16);
    h.writeUInt32LE(Math.min(r.csize, MAX32), 20);
    h.writeUInt32LE(Math.min(r.size, MAX32), 24);
    h.writeUInt16LE(nameLength, 28);
    h.writeUInt16LE(extraLength, 30);
    h.writeUInt16LE(0, 32);
    h.writeUInt16LE(0, 34);
    h.writeUInt16LE(0, 36);
    h.writeUInt32LE(externalAttributes(r.meta), 38);
    h.writeUInt32LE(Math.min(r.offset, MAX32), 42);
    h.write(r.meta.name, 46, nameLength, "utf8");
    if (big.length) {
      const at = 46 + nameLength;
      h.writeUInt16LE(0x0001, at);
      h.writeUInt16LE(8 * big.length, at + 2);
      big.forEach((v, i) => h.writeBigUInt64LE(BigInt(v), at + 4 + 8 * i));
    }
    return h;
  }

  /** The central directory and its end records; nothing may be added afterwards. */
  async finish(): Promise<void> {
    const start = this.offset;
    for await (const chunk of this.central.read()) await this.emit(chunk);
    const cdSize = this.offset - start;
    const count = this.central.count;
    const zip64 = count >= 0xffff || start >= MAX32 || cdSize >= MAX32;
    if (zip64) {
      const eocd64Offset = this.offset;
      const e = Buffer.alloc(56);
      e.writeUInt32LE(0x06064b50, 0);
      e.writeBigUInt64LE(44n, 4);
      e.writeUInt16LE(UNIX | 45, 12);
      e.writeUInt16LE(45, 14);
      e.writeUInt32LE(0, 16);
      e.writeUInt32LE(0, 20);
      e.writeBigUInt64LE(BigInt(count), 24);
      e.writeBigUInt64LE(BigInt(count), 32);
      e.writeBigUInt64LE(BigInt(cdSize), 40);
      e.writeBigUInt64LE(BigInt(start), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(0x07064b50, 0);
      loc.writeUInt32LE(0, 4);
      loc.writeBigUInt64LE(BigInt(eocd64Offset), 8);
      loc.writeUInt32LE(1, 16);
      await this.emit(Buffer.concat([e, loc]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(Math.min(count, 0xffff), 8);
    end.writeUInt16LE(Math.min(count, 0xffff), 10);
    end.writeUInt32LE(Math.min(cdSize, MAX32), 12);
    end.writeUInt32LE(Math.min(start, MAX32), 16);
    await this.emit(end);
  }
}
