import { MANIFEST_NAME, physicalPath, type Manifest, type ManifestDirectory, type ManifestFile, type ManifestSymlink } from "@/lib/backup/archive/manifest";
import { ManifestRefusedError, type ManifestRecordReader, type ManifestRecords } from "@/lib/backup/archive/manifest-reader";
import { isSafeRawKey } from "@/lib/backup/archive/entry-names";
import type { ArchiveSource } from "@/lib/backup/archive/archive-source";
import type { ZipEntry } from "@/lib/backup/archive/central-directory";
import { streamEntry } from "@/lib/backup/archive/entry-reader";

/** What the rules below refuse an archive for, with the sentence the user reads. */
export class ArchiveRejectedError extends Error {}

/** The manifest without its three long lists. */
export type ManifestHead = Omit<Manifest, "files" | "directories" | "symlinks">;

export function headOf({ formatVersion, app, createdAt, backupName, source, database, warnings }: Manifest): ManifestHead {
  return { formatVersion, app, createdAt, backupName, source, database, warnings };
}

export interface ArchiveSummary {
  files: number;
  fileBytes: number;
  directories: number;
  symlinks: number;
  /** Per root label: how many files it holds and their bytes. */
  roots: Map<string, { files: number; bytes: number }>;
}

export function emptySummary(): ArchiveSummary {
  return { files: 0, fileBytes: 0, directories: 0, symlinks: 0, roots: new Map() };
}

/** Counts one file of `size` bytes in the root `label`. */
export function countFile(summary: ArchiveSummary, label: string, size: number): void {
  summary.files++;
  summary.fileBytes += size;
  const root = summary.roots.get(label) ?? summary.roots.set(label, { files: 0, bytes: 0 }).get(label)!;
  root.files++;
  root.bytes += size;
}

export interface ArchiveFile {
  record: ManifestFile;
  entry: ZipEntry;
}

/**
 * An archive whose structure has been checked (inspect.ts), ready to be read: the manifest's folders and
 * links are held (few, and the restore needs them at its end), its file records are read again in archive
 * order with their entries each time `files()` is walked, so a restore of millions of files holds none of
 * them.
 */
export interface InspectedArchive {
  file: string;
  /** The zip's bytes, decrypted as they are read when the archive is encrypted. */
  source: ArchiveSource;
  manifest: ManifestHead;
  summary: ArchiveSummary;
  directories: ManifestDirectory[];
  symlinks: { record: ManifestSymlink; entry: ZipEntry }[];
  database: { record: NonNullable<Manifest["database"]>; entry: ZipEntry } | null;
  /** Every file record with its entry, in archive order, a batch at a time. */
  files(): AsyncIterable<ArchiveFile[]>;
  uncompressedBytes: number;
  close(): Promise<void>;
}

// A backslash is an ordinary byte in a Linux name (`C:\fakepath\photo.jpg` from a browser upload).
export const SAFE_SEGMENT = /^(?!\.{1,2}$)[^/\0]+$/;

/** A relative archive path with no way out: no `..`, no absolute part, no empty segment, no NUL. */
export function isSafeRelativePath(rel: string): boolean {
  return rel.length > 0 && rel.split("/").every((segment) => SAFE_SEGMENT.test(segment));
}

/** Every entry but the manifest must be one of these. */
export function isSafeEntryName(name: string): boolean {
  return name === MANIFEST_NAME || isSafeRelativePath(name.replace(/\/$/, ""));
}

export const DATABASE_ENTRY = /^database\/[^/\\\0]+$/;

const ASCII = /^[\x00-\x7f]*$/;

/**
 * physicalPath as latin1 text, without a copy where it can: a plain ASCII name's real path is part of
 * the entry's own name (a slice of it shares its characters), which is every name of a usual site.
 */
function physicalKey(record: { entry: string; raw?: string }, label: string): string {
  if (record.raw === undefined && ASCII.test(record.entry)) return record.entry.slice(`files/${label}/`.length, record.entry.endsWith("/") ? -1 : undefined);
  return physicalPath(record, label).toString("latin1");
}

export type PlacedKind = "file" | "directory" | "symlink";

/**
 * Where a manifest record puts its entry: its root's label and its real path there (latin1 text of the
 * bytes), or an ArchiveRejectedError's sentence when the name could escape, is not under a root, or does
 * not say it is a folder exactly when it is one. Whether the label is one of the manifest's is the caller's.
 */
export function placeOf(record: { entry: string; raw?: string }, kind: PlacedKind): { label: string; key: string } | string {
  const match = /^files\/([^/]+)\/(.+)$/.exec(record.entry.replace(/\/$/, ""));
  if (!match || !isSafeRelativePath(match[2]!) || (kind === "directory") !== record.entry.endsWith("/")) return `Unsafe path in the archive: ${record.entry}`;
  const key = physicalKey(record, match[1]!);
  if (!isSafeRawKey(key)) return `Unsafe path in the archive: ${record.entry} (its real name)`;
  return { label: match[1]!, key };
}

/** A link's target as the restore will make it: a link may point anywhere, but not nowhere. */
export function isUsableTarget(target: Buffer): boolean {
  return target.length > 0 && target.length <= 4095 && !target.includes(0);
}

/**
 * Reads manifest.json from the archive through `reader`, at most its declared size (entry-reader stops it
 * past that), and no less. Small pieces: each is dropped before the next young-generation collection,
 * instead of being promoted and held (tens of megabytes of them) until the next full one. `onChunk` sees
 * every inflated piece.
 */
export async function readManifestEntry(
  source: ArchiveSource,
  entry: ZipEntry,
  reader: ManifestRecordReader,
  onChunk: (chunk: Buffer) => void = () => {},
): Promise<ManifestRecords | null> {
  try {
    let bytes = 0;
    for await (const chunk of await streamEntry(source, entry, 64 * 1024)) {
      bytes += (chunk as Buffer).length;
      onChunk(chunk as Buffer);
      reader.feed(chunk as Buffer);
    }
    // Shorter than its declared size is damage too (longer is stopped by the reader).
    return bytes === entry.uncompressedSize ? reader.finish() : null;
  } catch (error) {
    if (error instanceof ManifestRefusedError) throw new ArchiveRejectedError(`This backup's manifest.json is refused: ${error.message}`);
    // Unreadable or not valid: either way not a manifest to go by.
    return null;
  }
}
