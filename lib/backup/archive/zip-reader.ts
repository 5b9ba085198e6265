import type { Readable } from "node:stream";
import yauzl, { type Entry, type ZipFile } from "yauzl";

export type { Entry, ZipFile };

/** Opens a zip for reading entries one at a time; yauzl refuses absolute paths, `..` and backslashes. */
export function openZip(file: string): Promise<ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: true, decodeStrings: true },
      (error, zip) => (error || !zip ? reject(error ?? new Error("Could not open the archive")) : resolve(zip)),
    ),
  );
}

/** Reads the whole central directory: names, sizes and attributes, no contents. */
export function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on("entry", (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once("end", () => resolve(entries));
    zip.once("error", reject);
    zip.readEntry();
  });
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
