import { createHash, hash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { crc32, deflateRaw, type ZlibOptions } from "node:zlib";
import type { BackupLog } from "@/lib/backup/jobs/log";
import { MANIFEST_NAME, type ManifestFile, type ManifestRoot, type ManifestSymlink } from "@/lib/backup/archive/manifest";
import { isUtf8 } from "@/lib/backup/archive/entry-names";
import { count, describeEntries, sizeWithBytes } from "@/lib/backup/jobs/log-text";
import { formatBytes } from "@/lib/format";
import { ManifestWriter, type ManifestHead } from "@/lib/backup/archive/manifest-writer";
import { readAt } from "@/lib/backup/archive/positioned-read";
import { FileSpool } from "@/lib/backup/archive/spool";
import type { DatabaseDumper } from "@/lib/backup/database/dumpers/types";
import type { WalkedRoot, WalkEntry, WalkResult } from "@/lib/backup/archive/walk";
import type { AgeRecipients } from "@/lib/backup/crypto/age";
import { EncryptingSink, fileSink, GatheringSink, MeasuredSink, type ArchiveSink } from "@/lib/backup/archive/archive-sink";
import { ZipWriter, type EntryMeta, type PreparedData } from "@/lib/backup/archive/zip-writer";
import { SmallFileReaders, type SmallFileResult } from "@/lib/backup/archive/small-file-readers";

/** Deflating these again costs time and saves nothing. */
const ALREADY_COMPRESSED = new Set("jpg jpeg png gif webp avif heic zip gz tgz bz2 xz zst 7z rar mp3 mp4 m4a m4v mov mkv webm ogg woff woff2".split(" "));

/** Files up to this size are read whole and deflated in the thread pool, several at once; larger ones stream. */
const WHOLE_FILE_MAX = 1024 * 1024;
/** Read-ahead bounds: memory stays constant however big the tree. */
const READ_AHEAD_BYTES = 24 * 1024 * 1024;
const READ_AHEAD_ENTRIES = 24;
/** With the reader threads: enough batches ahead to keep both busy. */
const READ_AHEAD_ENTRIES_THREADED = 512;
/**
 * The reader threads pay where small files dominate and cost about 30 MB each (bench: full site 147 →
 * 196 MB with them, 2.64× instead of 2.14× `zip -r -6`): a tree whose files average under this size gets them.
 */
const THREADED_AVERAGE_MAX = 16 * 1024;
/** Files up to this size go to the reader threads (small-file-readers.ts) in batches of these bounds. */
const SMALL_FILE_MAX = 128 * 1024;
const SMALL_BATCH_FILES = 64;
const SMALL_BATCH_BYTES = 512 * 1024;
const STREAM_CHUNK = 1024 * 1024;

const deflateRawAsync = promisify(deflateRaw);

export interface ArchiveRequest {
  partFile: string;
  outFile: string;
  /** Encrypt as age v1 to these recipients as the archive is written (see archive-sink.ts). */
  encryptTo?: AgeRecipients | null;
  /** Where the stored bytes go instead of the file (remote-only: lib/offsite/remote-sink.ts). */
  sink?: ((partFile: string, outFile: string) => ArchiveSink) | null;
  backupName: string;
  walk: WalkResult;
  database: { dumper: DatabaseDumper; workFile: string } | null;
  level: number;
  /** Read small files on reader threads; by default when the walked files average under 16 KB. */
  smallFileThreads?: boolean;
  log: BackupLog;
  /** Called with the number of source bytes just read. */
  onBytes(count: number): void;
  onPhase(phase: "dumping" | "archiving" | "finalizing"): void;
}

export interface ArchiveResult {
  /** Of the archive as stored (encrypted, when it is). */
  size: number;
  sha256: string;
  /** An encrypted archive's file key, kept in memory to read it back; null when not encrypted. */
  fileKey: Buffer | null;
  fileCount: number;
  warnings: string[];
}

type Prepared =
  | { kind: "ready"; item: WalkEntry; meta: EntryMeta; data: PreparedData; sha256: string }
  | { kind: "stream"; item: Extract<WalkEntry, { type: "file" }>; meta: EntryMeta; handle: fs.promises.FileHandle; size: number; store: boolean }
  | { kind: "skipped"; warning: string };

function isStored(entry: string): boolean {
  return ALREADY_COMPRESSED.has(path.extname(entry).slice(1).toLowerCase());
}

async function compress(data: Buffer, level: number, store: boolean): Promise<PreparedData> {
  const crc = crc32(data);
  if (!store && level > 0 && data.length > 0) {
    const deflated = await deflateRawAsync(data, deflateOptions(data.length, level));
    // Like zip: when deflating does not help, store.
    if (deflated.length < data.length) return { method: 8, crc, size: data.length, data: deflated };
  }
  return { method: 0, crc, size: data.length, data };
}

/**
 * A window and hash no larger than the data needs: zlib sets up (and the kernel zero-fills) up to 400 kB
 * of state per deflate, which for a tree of 200,000 small files cost more than the compressing itself
 * (bench, size many). The output is the same standard deflate; a window wider than the data finds nothing more.
 */
function deflateOptions(size: number, level: number): ZlibOptions {
  const windowBits = Math.min(15, Math.max(9, Math.ceil(Math.log2(size + 1)) + 1));
  return { level, windowBits, memLevel: Math.min(9, Math.max(1, windowBits - 6)) };
}

/** What every record carries: the metadata the walk saw, and the real name's bytes where the zip name is escaped. */
function common(item: WalkEntry) {
  return { mtime: item.mtime.toISOString(), uid: item.uid, gid: item.gid, ...(item.raw ? { raw: item.raw.toString("base64") } : {}) };
}

/** A file's line in the manifest: what it held when read, with the mode and date the walk saw. */
function fileRecord(item: WalkEntry, size: number, sha256: string): ManifestFile {
  return { entry: item.entry, size, sha256, mode: item.mode & 0o7777, ...common(item) };
}

function symlinkRecord(item: Extract<WalkEntry, { type: "symlink" }>): ManifestSymlink {
  const exact = isUtf8(item.target);
  return { entry: item.entry, target: item.target.toString("utf8"), ...(exact ? {} : { targetRaw: item.target.toString("base64") }), ...common(item) };
}

function rootRecord(root: WalkedRoot): ManifestRoot {
  const meta = root.meta;
  return meta
    ? { label: root.label, path: root.path, mode: meta.mode, mtime: new Date(Math.round(meta.mtimeMs)).toISOString(), uid: meta.uid, gid: meta.gid }
    : { label: root.label, path: root.path };
}

/** Read without following a link, and only if it is still the very file the walk saw (same device and inode). */
const OPEN_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW;

const sha256 = (data: Buffer) => hash("sha256", data, "hex");

/** Why a file the walk listed is not in the archive, in the words the log and the manifest's warnings use. */
function skippedWarning(item: WalkEntry, result: Exclude<SmallFileResult, { status: "ready" | "grown" }>): Prepared {
  const warning = {
    link: `${item.absPath} became a link while being backed up; its content was not archived`,
    "not-file": `${item.absPath} is no longer a regular file; skipped`,
    // Another file now answers to this path: replaced, or reached through a folder swapped for a link.
    replaced: `${item.absPath} is no longer the file the backup listed (replaced, or a link was put in its path); its content was not archived`,
    error: `${item.absPath} could not be read (${result.status === "error" ? result.code : ""}); skipped`,
  }[result.status];
  return { kind: "skipped", warning };
}

const errorCode = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

/**
 * Reads and compresses one walked entry, off the writer's path: the reading is done by the thread pool,
 * the deflating too (zlib's async calls), so both cores work while the writer emits earlier entries.
 */
async function prepare(item: WalkEntry, level: number): Promise<Prepared> {
  if (item.type === "directory") {
    const meta: EntryMeta = { name: item.entry, mode: item.mode & 0o7777, mtime: item.mtime, kind: "directory" };
    return { kind: "ready", item, meta, data: { method: 0, crc: 0, size: 0, data: Buffer.alloc(0) }, sha256: "" };
  }
  if (item.type === "symlink") {
    // Info-ZIP's convention: a link's data is its target, byte for byte.
    const meta: EntryMeta = { name: item.entry, mode: item.mode & 0o7777, mtime: item.mtime, kind: "symlink" };
    return { kind: "ready", item, meta, data: await compress(item.target, 0, true), sha256: "" };
  }
  const meta = fileMeta(item);
  let handle: fs.promises.FileHandle;
  try {
    // Non-blocking, so that a file replaced by a FIFO cannot hang the backup; it is refused below.
    handle = await fs.promises.open(item.rawAbsPath, OPEN_FLAGS);
  } catch (e) {
    return skippedWarning(item, errorCode(e) === "ELOOP" ? { status: "link" } : { status: "error", code: errorCode(e) });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.dev !== item.dev || stats.ino !== item.ino) {
      await handle.close();
      return skippedWarning(item, { status: stats.isFile() ? "replaced" : "not-file" });
    }
    const store = isStored(item.entry);
    if (stats.size > WHOLE_FILE_MAX) return { kind: "stream", item, meta, handle, size: stats.size, store };
    // One read of the size it has now (fewer bytes if it shrank): readFile would stat and read once more.
    const data = await readAt(handle, stats.size, 0);
    await handle.close();
    return { kind: "ready", item, meta, data: await compress(data, level, store), sha256: sha256(data) };
  } catch (e) {
    await handle.close().catch(() => {});
    return skippedWarning(item, { status: "error", code: errorCode(e) });
  }
}

function fileMeta(item: WalkEntry): EntryMeta {
  return { name: item.entry, mode: item.mode & 0o7777, mtime: item.mtime, kind: "file" };
}

/**
 * Small files wait here until a batch is full, then go to the reader threads together: a message per
 * batch, not per file. The batch is sent early whenever the writer is about to wait for one of its files.
 */
class SmallFileBatcher {
  private items: WalkEntry[] = [];
  private bytes = 0;
  /** Counts the batches started: an entry queued with the current one has not been sent yet. */
  batchNumber = 0;
  private batch: { promise: Promise<SmallFileResult[]>; resolve(r: SmallFileResult[]): void; reject(e: unknown): void } | null = null;

  constructor(
    private readonly readers: SmallFileReaders,
    private readonly level: number,
  ) {}

  add(item: WalkEntry): Promise<Prepared> {
    this.batch ??= deferred<SmallFileResult[]>();
    const index = this.items.push(item) - 1;
    this.bytes += item.size;
    const prepared = this.batch.promise.then((results) => this.toPrepared(item, results[index]!));
    if (this.items.length >= SMALL_BATCH_FILES || this.bytes >= SMALL_BATCH_BYTES) this.send();
    return prepared;
  }

  send(): void {
    if (!this.batch) return;
    const requests = this.items.map((item) => ({
      path: item.rawAbsPath.toString("latin1"),
      dev: item.dev,
      ino: item.ino,
      size: item.size,
      store: isStored(item.entry),
    }));
    this.readers.read(requests).then(this.batch.resolve, this.batch.reject);
    this.items = [];
    this.bytes = 0;
    this.batch = null;
    this.batchNumber++;
  }

  private toPrepared(item: WalkEntry, result: SmallFileResult): Promise<Prepared> | Prepared {
    if (result.status === "grown") return prepare(item, this.level);
    if (result.status !== "ready") return skippedWarning(item, result);
    const { method, crc, size, data } = result;
    return { kind: "ready", item, meta: fileMeta(item), data: { method, crc, size, data }, sha256: result.sha256 };
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)));
  return { promise, resolve, reject };
}

/** Starts preparing entries ahead of the writer, within the read-ahead bounds, and yields them in order. */
async function* readAhead(entries: AsyncIterable<WalkEntry>, level: number, readers: SmallFileReaders | null): AsyncGenerator<Prepared> {
  const queue: { promise: Promise<Prepared>; bytes: number; batch: number }[] = [];
  const batcher = readers ? new SmallFileBatcher(readers, level) : null;
  const depth = readers ? READ_AHEAD_ENTRIES_THREADED : READ_AHEAD_ENTRIES;
  const walked = entries[Symbol.asyncIterator]();
  let walkedAll = false;
  let buffered = 0;
  for (;;) {
    while (!walkedAll && queue.length < depth && (buffered < READ_AHEAD_BYTES || queue.length === 0)) {
      const next = await walked.next();
      if (next.done) {
        walkedAll = true;
        break;
      }
      const item = next.value;
      const bytes = item.type === "file" && item.size <= WHOLE_FILE_MAX ? item.size : 0;
      const batched = batcher !== null && item.type === "file" && item.size <= SMALL_FILE_MAX;
      const batch = batched ? batcher.batchNumber : -1;
      const promise = batched ? batcher.add(item) : prepare(item, level);
      promise.catch(() => {});
      queue.push({ promise, bytes, batch });
      buffered += bytes;
    }
    const head = queue.shift();
    if (!head) return;
    // Sent early only when the writer is about to wait for one of its files: sent whenever the writer
    // waited at all, a full queue went out one file per message (200,000 messages for as many files).
    if (batcher && head.batch === batcher.batchNumber) batcher.send();
    const prepared = await head.promise;
    buffered -= head.bytes;
    yield prepared;
  }
}

/**
 * Writes one backup as a zip: the database dump under `database/`, the files under `files/`, and a
 * manifest with every entry's size and SHA-256. Entries are written in walk order; small files are read
 * and deflated a few dozen ahead in the thread pool, large files and the dump stream in chunks, so a tree
 * of any size needs bounded memory. The archive appears under its real name only when complete.
 */
export async function writeBackupArchive(req: ArchiveRequest): Promise<ArchiveResult> {
  // The manifest's lists and the central directory go to temporary files beside the archive (removed
  // below, or by the reaper after a crash), made before the archive itself so a failure leaves no .part.
  const manifest = await ManifestWriter.create(req.partFile);
  const central = await FileSpool.create(`${req.partFile}.central`).catch(async (error) => {
    await manifest.dispose();
    throw error;
  });
  // Encrypted on the fly rather than in a step after: no plaintext archive ever reaches the disk, and
  // the archive is read and written once (bench: see README).
  const stored = new MeasuredSink((req.sink ?? fileSink)(req.partFile, req.outFile));
  const sink = new GatheringSink(req.encryptTo ? new EncryptingSink(stored, req.encryptTo) : stored);
  const zip = new ZipWriter((chunk) => sink.write(chunk), central);
  manifest.warnings.push(...req.walk.warnings);
  const warn = (message: string) => {
    manifest.warnings.push(message);
    req.log.warn(message);
  };
  const head: ManifestHead = {
    createdAt: new Date().toISOString(),
    backupName: req.backupName,
    source: { hostname: os.hostname(), fileRoots: req.walk.roots.map(rootRecord) },
    database: null,
  };

  let readers: SmallFileReaders | null = null;
  try {
    if (req.database) {
      req.onPhase("dumping");
      const { dumper, workFile } = req.database;
      req.log.info(`Dumping ${dumper.kind} database ${dumper.name}`);
      const dump = await dumper.dump(workFile);
      try {
        const hash = createHash("sha256");
        const onChunk = (chunk: Buffer) => {
          hash.update(chunk);
          req.onBytes(chunk.length);
        };
        const meta: EntryMeta = { name: dump.entry, mode: 0o600, mtime: new Date(), kind: "file" };
        const size = await zip.addStream(meta, dump.stream, req.level, onChunk);
        await dump.finished;
        head.database = { kind: dumper.kind, name: dumper.name, entry: dump.entry, size, sha256: hash.digest("hex") };
        req.log.info(`Database dump: ${sizeWithBytes(size)}`);
      } finally {
        dump.stream.destroy();
        await dump.cleanup();
      }
    }

    req.onPhase("archiving");
    const { fileCount, totalFileBytes } = req.walk;
    if (req.smallFileThreads ?? (fileCount > 0 && totalFileBytes / fileCount < THREADED_AVERAGE_MAX)) readers = new SmallFileReaders(req.level, WHOLE_FILE_MAX);
    req.log.info(
      `Archiving ${describeEntries(req.walk.fileCount, req.walk.count - req.walk.fileCount)} (${formatBytes(req.walk.totalFileBytes)}) from ${count(req.walk.roots.length, "file root", "file roots")}`,
    );
    for await (const prepared of readAhead(req.walk.entries(), req.level, readers)) {
      if (prepared.kind === "skipped") {
        warn(prepared.warning);
        continue;
      }
      const { item, meta } = prepared;
      if (prepared.kind === "stream") {
        await writeStreamed(zip, prepared, req, manifest, warn);
        continue;
      }
      await zip.addPrepared(meta, prepared.data);
      if (item.type === "directory") await manifest.addDirectory({ entry: item.entry, mode: item.mode & 0o7777, ...common(item) });
      else if (item.type === "symlink") manifest.symlinks.push(symlinkRecord(item));
      else {
        if (prepared.data.size !== item.size)
          warn(`${item.absPath} changed size while being backed up (${item.size} → ${prepared.data.size} bytes); archived as read`);
        req.onBytes(prepared.data.size);
        await manifest.addFile(fileRecord(item, prepared.data.size, prepared.sha256));
      }
    }

    // On disk before the manifest is written: what a crash leaves behind is everything archived so far.
    await sink.flush();
    req.onPhase("finalizing");
    await zip.addStream({ name: MANIFEST_NAME, mode: 0o644, mtime: new Date(), kind: "file" }, manifest.json(head), req.level || 6, () => {});
    await zip.finish();
    await sink.close();
    const fileKey = sink.inner instanceof EncryptingSink ? sink.inner.fileKey : null;
    return { size: stored.bytes, sha256: stored.sha256(), fileKey, fileCount: manifest.fileCount, warnings: manifest.warnings };
  } catch (error) {
    await sink.abort();
    throw error;
  } finally {
    await Promise.all([manifest.dispose(), central.dispose(), readers?.close()]);
  }
}

/** A large file, streamed: read only up to the size it had when opened, so a growing file still ends. */
async function writeStreamed(
  zip: ZipWriter,
  prepared: Extract<Prepared, { kind: "stream" }>,
  req: ArchiveRequest,
  manifest: ManifestWriter,
  warn: (message: string) => void,
): Promise<void> {
  const { item, meta, handle, store } = prepared;
  const hash = createHash("sha256");
  try {
    const source = handle.createReadStream({ start: 0, end: prepared.size - 1, highWaterMark: STREAM_CHUNK, autoClose: false });
    const size = await zip.addStream(meta, source, store ? 0 : req.level, (chunk) => {
      hash.update(chunk);
      req.onBytes(chunk.length);
    });
    const now = await handle.stat().catch(() => null);
    if (size !== item.size || (now && now.size !== size)) {
      warn(`${item.absPath} changed size while being backed up (${item.size} → ${now?.size ?? "?"} bytes); archived the first ${size} bytes`);
    }
    await manifest.addFile(fileRecord(item, size, hash.digest("hex")));
  } finally {
    await handle.close().catch(() => {});
  }
}
