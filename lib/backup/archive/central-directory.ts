import type { ArchiveSource } from "@/lib/backup/archive/archive-source";

/**
 * One central directory record, kept small: a 200,000-file archive holds 200,000 of these for the whole
 * restore, so only the name and the numbers the reader needs stay (a general zip library keeps each
 * record's raw bytes, extra fields and comment as well, several times the size).
 */
/** What the manifest lists an entry as. */
export type ListedKind = "file" | "directory" | "symlink" | "database" | "manifest";

export class ZipEntry {
  /** Set by inspect.ts as it matches the manifest to the entries: one field here rather than a second map of every name. */
  listedAs: ListedKind | null = null;

  constructor(
    readonly name: string,
    readonly flags: number,
    readonly compressionMethod: number,
    readonly compressedSize: number,
    readonly uncompressedSize: number,
    readonly localHeaderOffset: number,
    /** The Unix mode from the external attributes' upper half (0 when the writer gave none). */
    readonly unixMode: number,
  ) {}

  /** Traditional (bit 0) or strong (bit 6) encryption: neither is read. */
  isEncrypted(): boolean {
    return (this.flags & 0x41) !== 0;
  }
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export function isSymlinkEntry(entry: ZipEntry): boolean {
  return (entry.unixMode & S_IFMT) === S_IFLNK;
}

export function isDirectoryEntry(entry: ZipEntry): boolean {
  return entry.name.endsWith("/");
}

const EOCD = 0x06054b50;
const EOCD_LENGTH = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_EOCD_LENGTH = 56;
const CENTRAL = 0x02014b50;
const CENTRAL_LENGTH = 46;
const LOCAL_LENGTH = 30;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
/** Small enough that a piece is garbage before the next young-generation collection (not promoted and held). */
const CHUNK = 64 * 1024;

const truncated = () => new Error("the archive ends early (truncated)");

async function readExactly(source: ArchiveSource, length: number, position: number): Promise<Buffer> {
  const data = await source.read(length, position);
  if (data.length < length) throw truncated();
  return data;
}

/** A 64-bit field as a number; past 2^53 no archive on any disk is real, so it is refused rather than rounded. */
function readUInt64(buffer: Buffer, at: number): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error("a zip64 field is larger than any archive");
  return Number(value);
}

export interface Directory {
  count: number;
  offset: number;
  size: number;
  /** Where the end records begin: the central directory must lie wholly before it. */
  end: number;
}

/** The end of central directory record (and its zip64 form when a field is saturated), checked against the archive's size. */
export async function findDirectory(source: ArchiveSource): Promise<Directory> {
  if (source.size < EOCD_LENGTH) throw new Error("end of central directory record signature not found");
  const tailLength = Math.min(source.size, EOCD_LENGTH + MAX16);
  const tailStart = source.size - tailLength;
  const tail = await readExactly(source, tailLength, tailStart);
  let at = -1;
  // The record ends the file but for its comment, whose length it gives: a match on the signature alone
  // could be comment bytes.
  for (let i = tail.length - EOCD_LENGTH; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD && tail.readUInt16LE(i + 20) === tail.length - i - EOCD_LENGTH) {
      at = i;
      break;
    }
  }
  if (at < 0) throw new Error("end of central directory record signature not found");
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw new Error("multi-disk zip files are not supported");
  const eocdOffset = tailStart + at;
  const count = tail.readUInt16LE(at + 10);
  const size = tail.readUInt32LE(at + 12);
  const offset = tail.readUInt32LE(at + 16);
  if (count !== MAX16 && size !== MAX32 && offset !== MAX32) {
    if (tail.readUInt16LE(at + 8) !== count) throw new Error("multi-disk zip files are not supported");
    return checked({ count, offset, size, end: eocdOffset });
  }
  if (eocdOffset < ZIP64_LOCATOR_LENGTH) throw new Error("the zip64 end of central directory locator is missing");
  const locator = await readExactly(source, ZIP64_LOCATOR_LENGTH, eocdOffset - ZIP64_LOCATOR_LENGTH);
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw new Error("the zip64 end of central directory locator is missing");
  const recordOffset = readUInt64(locator, 8);
  if (recordOffset + ZIP64_EOCD_LENGTH > eocdOffset - ZIP64_LOCATOR_LENGTH)
    throw new Error("the zip64 end of central directory record lies outside the archive");
  const record = await readExactly(source, ZIP64_EOCD_LENGTH, recordOffset);
  if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error("invalid zip64 end of central directory record signature");
  if (record.readUInt32LE(16) !== 0 || record.readUInt32LE(20) !== 0) throw new Error("multi-disk zip files are not supported");
  const count64 = readUInt64(record, 32);
  if (readUInt64(record, 24) !== count64) throw new Error("multi-disk zip files are not supported");
  return checked({ count: count64, size: readUInt64(record, 40), offset: readUInt64(record, 48), end: recordOffset });
}

function checked(directory: Directory): Directory {
  if (directory.offset + directory.size > directory.end) throw new Error("the central directory lies outside the archive (truncated?)");
  // Each record takes at least its fixed part: a count the size cannot hold is a lie, not a reason to allocate.
  if (directory.count * CENTRAL_LENGTH > directory.size) throw new Error(`the central directory is too small for ${directory.count} entries`);
  return directory;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 when flagged so (or plain ASCII); otherwise each byte as itself, which no manifest of ours lists.
 * Decoded here, not by a zip library: one would refuse a backslash (a legal byte in a Linux name, which
 * version 1 archives stored as it was) or turn it into a separator. The caller checks every name.
 */
function decodeName(data: Buffer, start: number, end: number, flagged: boolean): string {
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (data[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii || !flagged) return data.toString("latin1", start, end);
  try {
    return utf8.decode(data.subarray(start, end));
  } catch {
    throw new Error(`an entry name is not valid UTF-8 though flagged so (${data.subarray(start, end).toString("hex")})`);
  }
}

/** The sizes and offset a zip64 extra field (id 1) holds in place of saturated 32-bit fields, in the order the format fixes. */
function zip64Fields(extra: Buffer, wanted: { size: boolean; csize: boolean; offset: boolean }): { size?: number; csize?: number; offset?: number } {
  for (let at = 0; at + 4 <= extra.length;) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (at + 4 + length > extra.length) throw new Error("an extra field runs past its record");
    if (id === 0x0001) {
      const field = extra.subarray(at + 4, at + 4 + length);
      const out: { size?: number; csize?: number; offset?: number } = {};
      let i = 0;
      const next = () => {
        if (i + 8 > field.length) throw new Error("the zip64 extra field is too short");
        const value = readUInt64(field, i);
        i += 8;
        return value;
      };
      if (wanted.size) out.size = next();
      if (wanted.csize) out.csize = next();
      if (wanted.offset) out.offset = next();
      return out;
    }
    at += 4 + length;
  }
  throw new Error("an entry's sizes need a zip64 extra field it does not have");
}

/**
 * Every entry of the central directory: names, sizes and where each one's data lies, no contents. The
 * directory is read in 64 KB pieces through the source (so an encrypted archive is read alike), and every
 * number in it is checked against the archive before anything relies on it: the directory must fit
 * before its end records, hold exactly the entries it declares and no more bytes, and each entry's data
 * must lie before the directory.
 */
export async function listEntries(source: ArchiveSource, found?: Directory): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  for await (const batch of entryBatches(source, found ?? (await findDirectory(source)))) for (const entry of batch) entries.push(entry);
  return entries;
}

/**
 * The central directory's entries in its order, a 64 KB piece's worth at a time, checked as listEntries
 * says: a reader can walk the entries of an archive of any size without holding them (inspect.ts reads
 * them twice that way). A batch is handed over before the next piece is read.
 */
export async function* entryBatches(source: ArchiveSource, directory: Directory): AsyncGenerator<ZipEntry[]> {
  const end = directory.offset + directory.size;
  let batch: ZipEntry[] = [];
  let buffer: Buffer = Buffer.alloc(0);
  /** Where `buffer` starts in the archive, and the next record in it. */
  let base = directory.offset;
  let at = 0;
  /**
   * Reads on from the next record, `length` bytes at least, never past the directory. A record cut by the
   * end of a piece is read again whole with the next piece (a few bytes twice) rather than joining pieces,
   * which would copy the whole directory once more.
   */
  const need = async (length: number) => {
    const from = base + at;
    if (from + length > end) throw new Error("an entry runs past the end of the central directory");
    buffer = await readExactly(source, Math.min(end - from, Math.max(length, CHUNK)), from);
    base = from;
    at = 0;
  };
  for (let n = 0; n < directory.count; n++) {
    if (at + CENTRAL_LENGTH > buffer.length) {
      if (batch.length > 0) yield batch;
      batch = [];
      await need(CENTRAL_LENGTH);
    }
    if (buffer.readUInt32LE(at) !== CENTRAL) throw new Error("invalid central directory file header signature");
    const flags = buffer.readUInt16LE(at + 8);
    const method = buffer.readUInt16LE(at + 10);
    let csize = buffer.readUInt32LE(at + 20);
    let size = buffer.readUInt32LE(at + 24);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    const disk = buffer.readUInt16LE(at + 34);
    const unixMode = buffer.readUInt32LE(at + 38) >>> 16;
    let offset = buffer.readUInt32LE(at + 42);
    const recordLength = CENTRAL_LENGTH + nameLength + extraLength + commentLength;
    if (at + recordLength > buffer.length) {
      if (batch.length > 0) yield batch;
      batch = [];
      await need(recordLength);
    }
    const nameStart = at + CENTRAL_LENGTH;
    const name = decodeName(buffer, nameStart, nameStart + nameLength, (flags & 0x800) !== 0);
    if (disk !== 0 && disk !== MAX16) throw new Error("multi-disk zip files are not supported");
    if (size === MAX32 || csize === MAX32 || offset === MAX32) {
      const extra = buffer.subarray(nameStart + nameLength, nameStart + nameLength + extraLength);
      const big = zip64Fields(extra, { size: size === MAX32, csize: csize === MAX32, offset: offset === MAX32 });
      size = big.size ?? size;
      csize = big.csize ?? csize;
      offset = big.offset ?? offset;
    }
    if (offset + LOCAL_LENGTH + csize > directory.offset) throw new Error(`the data of ${JSON.stringify(name)} lies outside the archive's file data`);
    batch.push(new ZipEntry(name, flags, method, csize, size, offset, unixMode));
    at += recordLength;
  }
  if (base + at !== end) throw new Error(`the central directory holds more than its ${directory.count} entries`);
  if (batch.length > 0) yield batch;
}
