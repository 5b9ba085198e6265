import { createHash } from "node:crypto";
import { linkTarget, MANIFEST_NAME, type ManifestDirectory, type ManifestFile, type ManifestSymlink } from "@/lib/backup/archive/manifest";
import { ManifestRecordReader, type ManifestRecord } from "@/lib/backup/archive/manifest-reader";
import { streamEntry } from "@/lib/backup/archive/entry-reader";
import { entryBatches, isDirectoryEntry, isSymlinkEntry, type Directory, type ZipEntry } from "@/lib/backup/archive/central-directory";
import type { ArchiveSource } from "@/lib/backup/archive/archive-source";
import {
  ArchiveRejectedError,
  countFile,
  DATABASE_ENTRY,
  emptySummary,
  headOf,
  isSafeEntryName,
  isSafeRelativePath,
  isUsableTarget,
  placeOf,
  readManifestEntry,
  SAFE_SEGMENT,
  type ArchiveFile,
  type InspectedArchive,
  type ManifestHead,
  type PlacedKind,
} from "@/lib/backup/restore/archive-rules";
import { hashSeeds, pathHashes, SetDigest } from "@/lib/backup/restore/set-digest";

/** The kinds the two sides agree on: a regular entry's size is part of what they compare. */
const REGULAR = 0;
const FOLDER = 1;
const LINK = 2;
const KIND_OF: Record<PlacedKind, number> = { file: REGULAR, directory: FOLDER, symlink: LINK };

const entryKind = (entry: ZipEntry) => (isSymlinkEntry(entry) ? LINK : 0) | (isDirectoryEntry(entry) ? FOLDER : 0);

/** Something the exact check must look at: this one only vouches for archives it can prove sound. */
class NotVouched extends Error {}

/**
 * The same rules as inspect-held.ts, in bounded memory: the central directory and the manifest are read
 * once each, in turn, and what the exact check holds as maps is kept as hashes.
 * - Every entry listed once, with its kind and size: the two sides' SetDigests must be equal, and the
 *   central directory must hold no name twice (its names' hashes, sorted, must all differ).
 * - No two records for one real path, nothing under a file or a link: each record's real path is hashed
 *   with its kind, each of its parent folders too, and the two sets must not meet.
 * - The files in the same order in both: a SHA-256 over each side's file names, so that a restore can walk
 *   both again side by side (files()) instead of finding each entry by its name.
 * About 16 bytes a file besides the folders and links, which are kept (few, and needed at the end of a
 * restore). Returns null where it cannot vouch: a hash met twice, an archive out of order, anything
 * refused. The exact check then decides, and says why. A manifest refused for its size is the one
 * refusal made here: the exact check would read it again to the same point and refuse it alike.
 */
export async function inspectStreamed(file: string, source: ArchiveSource, directory: Directory): Promise<InspectedArchive | null> {
  try {
    return await inspect(file, source, directory);
  } catch (error) {
    if (error instanceof NotVouched) return null;
    throw error;
  }
}

async function inspect(file: string, source: ArchiveSource, directory: Directory): Promise<InspectedArchive> {
  const key = SetDigest.keys();
  const seeds = hashSeeds();
  // One hash per entry: first of each name in the directory, then of each record's real path.
  const hashes = new Float64Array(directory.count);
  const fromDirectory = await readDirectorySide(source, directory, new SetDigest(key), seeds, hashes);
  const manifestEntry = fromDirectory.others.get(MANIFEST_NAME);
  if (!manifestEntry) throw new NotVouched();
  const fromManifest = new ManifestSide(new SetDigest(key), seeds, hashes, directory.count);
  const manifestBytes = createHash("sha256");
  const reader = new ManifestRecordReader((record) => fromManifest.add(record), directory.count);
  const read = await readManifestEntry(source, manifestEntry, reader, (chunk) => manifestBytes.update(chunk));
  if (!read || read.v2FieldsInV1) throw new NotVouched();
  const head = headOf(read.head);
  const labels = fromManifest.finish(head, manifestEntry);

  if (!fromManifest.digest.equals(fromDirectory.digest)) throw new NotVouched();
  const records = hashes.subarray(0, fromManifest.hashed);
  if (!allDifferent(records, 4) || !noneUnderFileOrLink(records, fromManifest.above)) throw new NotVouched();
  if (fromDirectory.order.digest("hex") !== fromManifest.order.digest("hex")) throw new NotVouched();

  const { summary, directories, symlinks } = fromManifest;
  const walk = { source, directory, manifestEntry, manifestDigest: manifestBytes.digest("hex"), labels, fileCount: summary.files };
  return {
    file,
    source,
    manifest: head,
    summary,
    directories,
    symlinks: symlinks.map((record) => ({ record, entry: fromDirectory.links.get(record.entry)! })),
    database: head.database ? { record: head.database, entry: fromDirectory.others.get(head.database.entry)! } : null,
    files: () => filesInOrder(walk),
    uncompressedBytes: fromDirectory.uncompressedBytes,
    close: () => source.close(),
  };
}

/** The central directory's side: its entries' digest, its files' order, its names all different. */
async function readDirectorySide(source: ArchiveSource, directory: Directory, digest: SetDigest, seeds: [number, number], hashes: Float64Array) {
  const order = createHash("sha256");
  /** Entries outside files/ (the manifest, the dump) and the links: found by name later. */
  const others = new Map<string, ZipEntry>();
  const links = new Map<string, ZipEntry>();
  let uncompressedBytes = 0;
  let hashed = 0;
  try {
    for await (const batch of entryBatches(source, directory)) {
      for (const entry of batch) {
        const { name } = entry;
        if (!isSafeEntryName(name)) throw new NotVouched();
        const kind = entryKind(entry);
        digest.add(name, kind, kind === REGULAR ? entry.uncompressedSize : -1);
        hashes[hashed++] = pathHashes(name, seeds);
        uncompressedBytes += entry.uncompressedSize;
        if (kind === LINK) links.set(name, entry);
        else if (kind === REGULAR && name.startsWith("files/")) order.update(`${name}\0`);
        else if (kind === REGULAR) others.set(name, entry);
      }
    }
  } catch {
    // Unsafe or damaged: the exact check says which.
    throw new NotVouched();
  }
  if (!allDifferent(hashes.subarray(0, hashed), 1)) throw new NotVouched();
  return { digest, order, others, links, uncompressedBytes };
}

/** The manifest's side, a record at a time: its entries' digest, its files' order, the real paths' hashes. */
class ManifestSide {
  readonly order = createHash("sha256");
  readonly summary = emptySummary();
  readonly directories: ManifestDirectory[] = [];
  readonly symlinks: ManifestSymlink[] = [];
  /** Every folder above a record's real path, as hashes of label/path. */
  readonly above = new Set<number>();
  hashed = 0;
  private readonly labelsUsed = new Set<string>();
  private readonly prefixes: number[] = [];

  constructor(
    readonly digest: SetDigest,
    private readonly seeds: [number, number],
    private readonly hashes: Float64Array,
    private readonly entryCount: number,
  ) {}

  add({ list, record }: ManifestRecord): void {
    const kind = list === "files" ? "file" : list === "directories" ? "directory" : "symlink";
    const placed = placeOf(record, kind);
    if (typeof placed === "string" || !record.entry.isWellFormed()) throw new NotVouched();
    this.labelsUsed.add(placed.label);
    this.prefixes.length = 0;
    const path = `${placed.label}/${placed.key}`;
    this.hashes[this.hashed++] = pathHashes(path, this.seeds, placed.label.length + 1, this.prefixes) * 4 + KIND_OF[kind];
    // Deepest first: once a folder is known, so are all above it.
    for (let i = this.prefixes.length - 1; i >= 0 && !this.above.has(this.prefixes[i]!); i--) this.above.add(this.prefixes[i]!);
    // Our writer lists every folder, so there are no more folders above than entries; a crafted archive
    // of a few deep names could make millions of them.
    if (this.above.size > this.entryCount) throw new NotVouched();
    if (list === "files") {
      this.digest.add(record.entry, REGULAR, record.size);
      this.order.update(`${record.entry}\0`);
      countFile(this.summary, placed.label, record.size);
    } else if (list === "directories") {
      this.digest.add(record.entry, FOLDER, -1);
      this.directories.push(record);
    } else {
      if (!isUsableTarget(linkTarget(record))) throw new NotVouched();
      this.digest.add(record.entry, LINK, -1);
      this.symlinks.push(record);
    }
  }

  /** Adds the manifest itself and the dump, checks the roots' labels, and gives them. */
  finish(head: ManifestHead, manifestEntry: ZipEntry): Set<string> {
    const labels = new Set<string>();
    for (const { label } of head.source.fileRoots) {
      if (!SAFE_SEGMENT.test(label) || labels.has(label)) throw new NotVouched();
      labels.add(label);
    }
    for (const label of this.labelsUsed) if (!labels.has(label)) throw new NotVouched();
    this.digest.add(MANIFEST_NAME, REGULAR, manifestEntry.uncompressedSize);
    const { database } = head;
    if (database) {
      if (!DATABASE_ENTRY.test(database.entry) || !isSafeRelativePath(database.entry) || !database.entry.isWellFormed()) throw new NotVouched();
      this.digest.add(database.entry, REGULAR, database.size);
    }
    this.summary.directories = this.directories.length;
    this.summary.symlinks = this.symlinks.length;
    return labels;
  }
}

/** Sorts `values` in place; true when no two of them share a hash (the value divided by `scale`, rounded down). */
function allDifferent(values: Float64Array, scale: number): boolean {
  values.sort();
  for (let i = 1; i < values.length; i++) if (Math.floor(values[i]! / scale) === Math.floor(values[i - 1]! / scale)) return false;
  return true;
}

/** `records` sorted, each a path hash times 4 plus its kind: true when no folder in `above` is a file or a link. */
function noneUnderFileOrLink(records: Float64Array, above: Set<number>): boolean {
  for (const folder of above) {
    let low = 0;
    let high = records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (records[middle]! < folder * 4) low = middle + 1;
      else high = middle;
    }
    const found = records[low];
    if (found !== undefined && Math.floor(found / 4) === folder && found - folder * 4 !== FOLDER) return false;
  }
  return true;
}

interface Walk {
  source: ArchiveSource;
  directory: Directory;
  manifestEntry: ZipEntry;
  manifestDigest: string;
  labels: Set<string>;
  fileCount: number;
}

const changed = (what: string) => new ArchiveRejectedError(`The archive changed while it was being read (${what})`);

/**
 * The file records with their entries, reading the manifest and the central directory again side by side:
 * the check proved both hold the same files in the same order. Each record is checked again on its own as
 * it comes (where it goes must still be safe), and the manifest must read exactly as it did, or the
 * restore fails: the archive was changed in between.
 */
async function* filesInOrder(walk: Walk): AsyncGenerator<ArchiveFile[]> {
  const ready: ManifestFile[] = [];
  const reader = new ManifestRecordReader(({ list, record }) => {
    if (list !== "files") return;
    const placed = placeOf(record, "file");
    if (typeof placed === "string" || !walk.labels.has(placed.label)) throw changed(record.entry);
    ready.push(record);
  }, walk.directory.count);
  const entries = fileEntries(walk.source, walk.directory);
  let pending: ZipEntry[] = [];
  let next = 0;
  const nextEntry = async () => {
    if (next === pending.length) {
      const batch = await entries.next();
      pending = batch.done ? [] : batch.value;
      next = 0;
    }
    return pending[next++];
  };
  const manifestBytes = createHash("sha256");
  let bytes = 0;
  let files = 0;
  const stream = await streamEntry(walk.source, walk.manifestEntry, 64 * 1024);
  try {
    for await (const chunk of stream) {
      bytes += (chunk as Buffer).length;
      manifestBytes.update(chunk as Buffer);
      reader.feed(chunk as Buffer);
      if (ready.length === 0) continue;
      const batch: ArchiveFile[] = [];
      for (const record of ready) {
        const entry = await nextEntry();
        if (!entry || entry.name !== record.entry || entry.uncompressedSize !== record.size) throw changed(record.entry);
        batch.push({ record, entry });
      }
      files += ready.length;
      ready.length = 0;
      yield batch;
    }
  } catch (error) {
    throw error instanceof ArchiveRejectedError ? error : changed(`its manifest: ${(error as Error).message}`);
  }
  const sound = bytes === walk.manifestEntry.uncompressedSize && reader.finish() !== null && manifestBytes.digest("hex") === walk.manifestDigest;
  if (!sound || files !== walk.fileCount || (await nextEntry()) !== undefined) throw changed("its manifest");
}

/** The central directory's regular entries under files/, in order, a batch at a time. */
async function* fileEntries(source: ArchiveSource, directory: Directory): AsyncGenerator<ZipEntry[]> {
  for await (const batch of entryBatches(source, directory)) {
    yield batch.filter((entry) => entryKind(entry) === REGULAR && entry.name.startsWith("files/"));
  }
}
