import { Readable } from "node:stream";
import yauzl, { type Entry, type ZipFile } from "yauzl";
import type { ArchiveSource } from "@/lib/backup/archive/archive-source";

export type { Entry, ZipFile };

/**
 * Opens a zip for reading entries one at a time. Names are decoded here, not by yauzl: it would refuse a
 * backslash (a legal byte in a Linux name, which version 1 archives stored as it was) or turn it into a
 * separator. The caller checks every name (inspect.ts): no absolute path, no `..`, only listed entries.
 */
export function openZip(source: ArchiveSource): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromRandomAccessReader(
      new SourceReader(source),
      source.size,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, decodeStrings: false },
      (error, zip) => (error || !zip ? reject(error ?? new Error("Could not open the archive")) : resolve(zip)),
    ),
  );
}

const STREAM_CHUNK = 1024 * 1024;

/** yauzl reading through an ArchiveSource, so a plain and an encrypted archive are read alike. */
class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ArchiveSource) {
    super();
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.source.read(length, position).then(
      (data) => (data.length < length ? callback(new Error("the archive ends early (truncated)")) : (data.copy(buffer, offset), callback(null))),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const source = this.source;
    return Readable.from(
      (async function* () {
        for (let at = start; at < end;) {
          const data = await source.read(Math.min(STREAM_CHUNK, end - at), at);
          if (data.length === 0) throw new Error("the archive ends early (truncated)");
          at += data.length;
          yield data;
        }
      })(),
      { objectMode: false },
    );
  }
}

/** Reads the whole central directory: names, sizes and attributes, no contents. */
export function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on("entry", (entry: Entry) => {
      try {
        entry.fileName = decodeName(entry);
      } catch (error) {
        return reject(error);
      }
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", reject);
    zip.readEntry();
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 when flagged so (or plain ASCII); otherwise each byte as itself, which no manifest of ours lists. */
function decodeName(entry: Entry): string {
  const raw = (entry as unknown as { fileNameRaw: Buffer }).fileNameRaw;
  const flagged = (entry.generalPurposeBitFlag & 0x800) !== 0;
  if (flagged || !raw.some((b) => b >= 0x80)) {
    try {
      return utf8.decode(raw);
    } catch {
      throw new Error(`an entry name is not valid UTF-8 though flagged so (${raw.toString("hex")})`);
    }
  }
  return raw.toString("latin1");
}

export function openEntry(zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error || !stream ? reject(error ?? new Error("unreadable entry")) : resolve(stream))),
  );
}

export async function readEntryText(zip: ZipFile, entry: Entry, maxBytes: number): Promise<string> {
  if (entry.uncompressedSize > maxBytes) throw new Error(`${entry.fileName} is larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  for await (const chunk of await openEntry(zip, entry)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

export function isSymlinkEntry(entry: Entry): boolean {
  return ((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK;
}

export function isDirectoryEntry(entry: Entry): boolean {
  return entry.fileName.endsWith("/");
}
