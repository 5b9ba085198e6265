import { createHash, hash as hashOnce } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { ArchiveRejectedError, type ArchiveFile, type InspectedArchive } from "@/lib/backup/restore/archive-rules";
import { linkTarget, physicalPath, type ManifestFile, type ManifestSymlink } from "@/lib/backup/archive/manifest";
import type { ZipEntry } from "@/lib/backup/archive/central-directory";
import type { ArchiveSource } from "@/lib/backup/archive/archive-source";
import { readWholeEntry, takeEntryChunks, WHOLE_ENTRY_MAX } from "@/lib/backup/archive/entry-reader";
import { SmallFileWriter, type FileMeta } from "@/lib/backup/restore/small-file-writer";

export interface StagePlan {
  /** Root label → a new, empty staging directory. Roots left out are verified but not written. */
  fileRoots: Map<string, string>;
  /** Where the database dump goes, or null to verify it without writing it. */
  databaseFile: string | null;
  onBytes(count: number): void;
}

async function ensureSpace(dir: string, bytes: number): Promise<void> {
  const stats = await fs.promises.statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (bytes > free) {
    throw new ArchiveRejectedError(`Not enough free disk space in ${dir}: the restore needs ${bytes} bytes, ${free} are free`);
  }
}

const asRoot = process.getuid?.() === 0;
const WRITE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
const DIR_FLAGS = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | fs.constants.O_NOFOLLOW;

/** Owner (as root only: nobody else may give a file away), then mode (chown clears set-id bits), then date. */
function applyMetaSync(fd: number, meta: FileMeta, fallbackMode?: number): void {
  if (asRoot && meta.uid !== undefined && meta.gid !== undefined) fs.fchownSync(fd, meta.uid, meta.gid);
  const mode = meta.mode ?? fallbackMode;
  if (mode !== undefined) fs.fchmodSync(fd, mode & 0o7777);
  if (meta.mtime) {
    const mtime = new Date(meta.mtime);
    fs.futimesSync(fd, mtime, mtime);
  }
}

/**
 * Where a root's entries are written: every folder is made here, one level at a time, and checked with
 * lstat to be a real folder (never a link) inside the staging root. A path is used only once the folder
 * holding it has been checked, so nothing is ever written through a link, whatever the archive says.
 */
class StagingRoot {
  private readonly checked = new Set<string>();

  private constructor(readonly dir: Buffer) {}

  static async open(dir: string): Promise<StagingRoot> {
    return new StagingRoot(Buffer.from(await fs.promises.realpath(dir)));
  }

  pathOf(rel: Buffer): Buffer {
    return Buffer.concat([this.dir, Buffer.from("/"), rel]);
  }

  /**
   * Makes (or finds) the folder `rel` (latin1 text of its bytes), each level checked to be a real folder.
   * Synchronous calls: a dependency tree has thousands of folders, and two round trips through the thread
   * pool for each left the restore waiting.
   */
  folder(rel: string): void {
    if (rel === "" || this.checked.has(rel)) return;
    const cut = rel.lastIndexOf("/");
    this.folder(cut === -1 ? "" : rel.slice(0, cut));
    const at = this.pathOf(Buffer.from(rel, "latin1"));
    try {
      fs.mkdirSync(at, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    if (!fs.lstatSync(at).isDirectory())
      throw new ArchiveRejectedError(`The archive puts entries under ${Buffer.from(rel, "latin1").toString("utf8")}, which is not a folder`);
    this.checked.add(rel);
  }

  parentOf(rel: Buffer): void {
    const text = rel.toString("latin1");
    const cut = text.lastIndexOf("/");
    this.folder(cut === -1 ? "" : text.slice(0, cut));
  }
}

/** The root an entry belongs to, and its real path inside it, when that root is being written. */
function rootOf(plan: StagePlan, roots: Map<string, StagingRoot>, record: { entry: string; raw?: string }) {
  const label = /^files\/([^/]+)\//.exec(record.entry)?.[1];
  const root = label ? roots.get(label) : undefined;
  return root && label ? { root, rel: physicalPath(record, label) } : null;
}

/**
 * Reads every entry once, checking its SHA-256 and size against the manifest, and writes the chosen
 * parts into staging places only: the live database and files are not touched here. Folders first, then
 * files (each with its mode, owner and date), then links, each with its exact target: no entry is ever
 * made after a link exists, so none can land under one. Folders get their mode, owner and date last,
 * deepest first, once nothing more is written into them. Any mismatch throws ArchiveRejectedError and the
 * caller removes the staging places.
 */
export async function verifyAndStage(archive: InspectedArchive, plan: StagePlan): Promise<void> {
  const roots = new Map<string, StagingRoot>();
  for (const [label, dir] of plan.fileRoots) roots.set(label, await StagingRoot.open(dir));
  let writeBytes = 0;
  for (const [label, root] of archive.summary.roots) if (roots.has(label)) writeBytes += root.bytes;
  for (const dir of plan.fileRoots.values()) await ensureSpace(path.dirname(dir), writeBytes);
  const { database } = archive;
  if (plan.databaseFile && database) await ensureSpace(path.dirname(plan.databaseFile), database.record.size);

  // Parents sort before their children.
  const directories = archive.directories
    .map((d) => ({ record: d, at: rootOf(plan, roots, d) }))
    .filter((d): d is { record: typeof d.record; at: NonNullable<typeof d.at> } => d.at !== null)
    .sort((a, b) => Buffer.compare(a.at.rel, b.at.rel));
  for (const { at } of directories) at.root.folder(at.rel.toString("latin1"));

  // Several entries at once, each read with positioned reads and inflated in the thread pool, so reading,
  // inflating, hashing and writing of different entries overlap and both cores stay busy. inspect.ts has
  // matched every listed file to its entry, and every entry to a record: the files and the database dump
  // are all the data there is (the files in the archive's order, read as they are needed).
  const source = archive.source;
  const writer = new SmallFileWriter(asRoot);
  const files = archive.files()[Symbol.asyncIterator]();
  const nextFile = oneAtATime(files);
  let databaseTaken = database === null;
  const nextWork = async (): Promise<(() => Promise<void>) | null> => {
    if (!databaseTaken) {
      databaseTaken = true;
      return () => stageFile(database!.entry, database!.record, null);
    }
    const file = await nextFile();
    return file && (() => stageFile(file.entry, file.record, file.record));
  };
  try {
    await inParallel(nextWork, PARALLEL_ENTRIES);
    await writer.finish();
  } finally {
    // Nothing may still be writing into the staging place when the caller removes it; nor reading the manifest.
    await Promise.all([writer.close(), files.return?.()]);
  }
  // Links last: after this, nothing more is made inside the tree.
  for (const link of archive.symlinks) await stageLink(link.record, link.entry);
  // process.umask() is two system calls (it sets the mask to read it): once, not once a folder.
  const newFolderMode = 0o777 & ~process.umask();
  for (const { record, at } of directories.reverse()) {
    const dir = fs.openSync(at.root.pathOf(at.rel), DIR_FLAGS);
    try {
      // Version 1 recorded no folder modes: what a new folder gets.
      applyMetaSync(dir, record, newFolderMode);
    } finally {
      fs.closeSync(dir);
    }
  }

  async function stageLink(link: ManifestSymlink, entry: ZipEntry): Promise<void> {
    const target = linkTarget(link);
    if (entry.uncompressedSize !== target.length || entry.compressedSize > 2 * 4096)
      throw new ArchiveRejectedError(`The link ${link.entry} does not match its manifest`);
    const stored = await readWholeEntry(source, entry).catch((error: Error) => {
      throw new ArchiveRejectedError(`${link.entry} could not be read from the archive: ${error.message}`);
    });
    if (!stored.equals(target)) throw new ArchiveRejectedError(`The link ${link.entry} does not match its manifest`);
    const at = rootOf(plan, roots, link);
    if (!at) return;
    at.root.parentOf(at.rel);
    const dest = at.root.pathOf(at.rel);
    await fs.promises.symlink(target, dest);
    if (asRoot && link.uid !== undefined && link.gid !== undefined) await fs.promises.lchown(dest, link.uid, link.gid);
    if (link.mtime) await fs.promises.lutimes(dest, new Date(link.mtime), new Date(link.mtime));
  }

  async function stageFile(entry: ZipEntry, want: { size: number; sha256: string }, file: ManifestFile | null): Promise<void> {
    const { name } = entry;
    let dest: Buffer | string | null = file ? null : plan.databaseFile;
    if (file) {
      const at = rootOf(plan, roots, file);
      if (at) {
        at.root.parentOf(at.rel);
        dest = at.root.pathOf(at.rel);
      }
    }
    const unreadable = (error: Error) => {
      throw error instanceof ArchiveRejectedError ? error : new ArchiveRejectedError(`${name} could not be read from the archive: ${error.message}`);
    };
    const check = (size: number, sha256: string) => {
      if (size !== want.size || sha256 !== want.sha256) {
        throw new ArchiveRejectedError(`${name} is damaged: its content does not match the checksum in the manifest`);
      }
    };
    if (entry.uncompressedSize <= SMALL_ENTRY_MAX && entry.compressedSize <= SMALL_ENTRY_MAX) {
      // Checked before it is written, then written by the writer thread.
      const data = await readWholeEntry(source, entry).catch(unreadable);
      plan.onBytes(data.length);
      check(data.length, hashOnce("sha256", data, "hex"));
      if (dest !== null) await writer.write(name, dest, data, file);
      return;
    }
    const { size, sha256 } = await copyEntry(source, entry, dest, file, plan.onBytes).catch(unreadable);
    check(size, sha256);
  }
}

const PARALLEL_ENTRIES = 6;

/** The files of `batches` one at a time, for several lanes at once: the lanes that find a batch used up share one read of the next. */
function oneAtATime(batches: AsyncIterator<ArchiveFile[]>): () => Promise<ArchiveFile | null> {
  let batch: ArchiveFile[] = [];
  let next = 0;
  let done = false;
  let refill: Promise<void> | null = null;
  return async () => {
    while (next === batch.length && !done) {
      refill ??= batches.next().then((read) => {
        refill = null;
        if (read.done) done = true;
        else [batch, next] = [read.value, 0];
      });
      await refill;
    }
    return next < batch.length ? batch[next++]! : null;
  };
}

/** Runs what `nextWork` gives, `limit` at a time, until it gives null; after a failure starts nothing new, waits for the rest, throws it. */
async function inParallel(nextWork: () => Promise<(() => Promise<void>) | null>, limit: number): Promise<void> {
  let failed = false;
  let failure: unknown;
  const lane = async () => {
    while (!failed) {
      try {
        const work = await nextWork();
        if (!work) return;
        await work();
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, lane));
  if (failed) throw failure;
}

/**
 * Up to this size a file is read whole, checked, and handed to the writer thread (small-file-writer.ts):
 * its six calls (open, write, owner, mode, date, close) each cost less there than a round trip through
 * the thread pool would.
 */
const SMALL_ENTRY_MAX = 64 * 1024;

/**
 * Reads one entry larger than a small one, hashing it, and writes it to `dest` (when given) as a new file,
 * never through a link, then gives it its mode, owner and date (`meta`; none for the database dump, which
 * stays 0600). One up to 1 MB is read whole; a larger one streams (entry-reader stops it past its declared
 * size). Either is checked at its end (the caller removes the staging place when anything fails).
 */
async function copyEntry(
  archive: ArchiveSource,
  entry: ZipEntry,
  dest: Buffer | string | null,
  meta: ManifestFile | null,
  onBytes: (n: number) => void,
): Promise<{ size: number; sha256: string }> {
  const out = dest === null ? null : await fs.promises.open(dest, WRITE_FLAGS, 0o600);
  try {
    if (entry.uncompressedSize <= WHOLE_ENTRY_MAX && entry.compressedSize <= WHOLE_ENTRY_MAX) {
      const data = await readWholeEntry(archive, entry);
      onBytes(data.length);
      const sha256 = hashOnce("sha256", data, "hex");
      if (out) await out.writeFile(data);
      if (out && meta) applyMetaSync(out.fd, meta);
      return { size: data.length, sha256 };
    }
    const hash = createHash("sha256");
    let size = 0;
    await takeEntryChunks(archive, entry, async (chunk) => {
      size += chunk.length;
      hash.update(chunk);
      onBytes(chunk.length);
      for (let at = 0; out && at < chunk.length;) at += (await out.write(chunk, at, chunk.length - at)).bytesWritten;
    });
    if (out && meta) applyMetaSync(out.fd, meta);
    return { size, sha256: hash.digest("hex") };
  } finally {
    await out?.close();
  }
}
