import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ZipArchive } from "archiver";
import type { BackupLog } from "@/lib/backup/log";
import { MANIFEST_FORMAT_VERSION, MANIFEST_NAME, type Manifest } from "@/lib/backup/manifest";
import type { DatabaseDumper } from "@/lib/backup/dumpers/types";
import type { WalkResult } from "@/lib/backup/walk";

/** Deflating these again costs time and saves nothing. */
const ALREADY_COMPRESSED = new Set(
  "jpg jpeg png gif webp avif heic zip gz tgz bz2 xz zst 7z rar mp3 mp4 m4a m4v mov mkv webm ogg woff woff2".split(" "),
);

export interface ArchiveRequest {
  partFile: string;
  outFile: string;
  backupName: string;
  walk: WalkResult;
  database: { dumper: DatabaseDumper; workFile: string } | null;
  level: number;
  log: BackupLog;
  /** Called with the number of source bytes just read. */
  onBytes(count: number): void;
  onPhase(phase: "dumping" | "archiving" | "finalizing"): void;
}

export interface ArchiveResult {
  size: number;
  sha256: string;
  manifest: Manifest;
}

/** Hashes, counts and reports the bytes flowing through it. */
class HashTap extends Transform {
  readonly hash = createHash("sha256");
  bytes = 0;
  constructor(private readonly onBytes: (n: number) => void = () => {}) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err: null, chunk: Buffer) => void) {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes(chunk.length);
    done(null, chunk);
  }
  digest(): string {
    return this.hash.digest("hex");
  }
}

type FileItem = Extract<WalkResult["entries"][number], { type: "file" }>;

/**
 * Opens a file found by the walk, or says why it is skipped: it vanished, cannot be opened, or is no
 * longer a regular file (replaced by a directory, FIFO...). A size change since the walk is only noted:
 * the bytes actually read are what the manifest records.
 */
async function openRegularFile(
  item: FileItem,
): Promise<{ handle: fs.promises.FileHandle; size: number } | { warning: string }> {
  // O_NONBLOCK: opening a FIFO that replaced the file must not wait for a writer.
  const handle = await fs.promises
    .open(item.absPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW)
    .catch((e: NodeJS.ErrnoException) => e);
  if (handle instanceof Error) {
    const why = handle.code === "ENOENT" ? "vanished before it could be read" : `could not be read (${handle.code ?? handle.message})`;
    return { warning: `${item.absPath} ${why}; skipped` };
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    return { warning: `${item.absPath} is no longer a regular file; skipped` };
  }
  return { handle, size: stats.size };
}

/** Below this a file is read whole: a stream per small file costs more than its bytes. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** Bigger reads for big files: fewer round trips through the thread pool. */
const READ_CHUNK_BYTES = 1024 * 1024;

/** Hands the file's bytes to `append` (as one buffer or a stream) and returns what was actually read. */
async function appendFile(
  opened: { handle: fs.promises.FileHandle; size: number },
  onBytes: (n: number) => void,
  append: (source: Buffer | Transform) => Promise<void>,
): Promise<{ size: number; sha256: string }> {
  if (opened.size <= SMALL_FILE_BYTES) {
    const data = await opened.handle.readFile().finally(() => opened.handle.close());
    onBytes(data.length);
    await append(data);
    return { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
  }
  const tap = new HashTap(onBytes);
  pipeline(opened.handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES }), tap).catch((e) => tap.destroy(e));
  await append(tap);
  return { size: tap.bytes, sha256: tap.digest() };
}

/**
 * Writes one backup as a zip: the database dump under `database/`, the files under `files/`, and a
 * manifest with every entry's size and SHA-256. Entries go in one at a time so that a tree of any size
 * needs one open file and constant memory. The archive appears under its real name only when complete.
 */
export async function writeBackupArchive(req: ArchiveRequest): Promise<ArchiveResult> {
  const zip = new ZipArchive({ zlib: { level: req.level } });
  const archiveTap = new HashTap();
  const out = fs.createWriteStream(req.partFile, { flags: "wx", mode: 0o600 });
  const written = pipeline(zip, archiveTap, out);
  // Any failure of the archive or of the disk ends every wait below at once.
  const failed = new Promise<never>((_, reject) => {
    written.catch(reject);
    zip.on("error", reject);
  });
  failed.catch(() => {});

  const addEntry = (append: () => void) =>
    Promise.race([
      failed,
      new Promise<void>((resolve) => {
        zip.once("entry", () => resolve());
        append();
      }),
    ]);

  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    app: "safekeep",
    createdAt: new Date().toISOString(),
    backupName: req.backupName,
    source: { hostname: os.hostname(), fileRoots: req.walk.roots },
    database: null,
    files: [],
    directories: [],
    symlinks: [],
    warnings: [...req.walk.warnings],
  };

  const warn = (message: string) => {
    manifest.warnings.push(message);
    req.log.warn(message);
  };

  try {
    if (req.database) {
      req.onPhase("dumping");
      const { dumper, workFile } = req.database;
      req.log.info(`Dumping ${dumper.kind} database ${dumper.name}`);
      const dump = await dumper.dump(workFile);
      try {
        const tap = new HashTap(req.onBytes);
        const piped = pipeline(dump.stream, tap).catch((e) => tap.destroy(e));
        await addEntry(() => zip.append(tap, { name: dump.entry, date: new Date() }));
        await Promise.race([failed, Promise.all([piped, dump.finished])]);
        manifest.database = { kind: dumper.kind, name: dumper.name, entry: dump.entry, size: tap.bytes, sha256: tap.digest() };
        req.log.info(`Database dump: ${tap.bytes} bytes`);
      } finally {
        await dump.cleanup();
      }
    }

    req.onPhase("archiving");
    req.log.info(`Archiving ${req.walk.entries.length} entries from ${req.walk.roots.length} file root(s)`);
    for (const item of req.walk.entries) {
      if (item.type === "directory") {
        await addEntry(() =>
          zip.append(Buffer.alloc(0), { name: item.entry, type: "directory", mode: item.mode & 0o777, date: item.mtime }),
        );
        manifest.directories.push(item.entry);
      } else if (item.type === "symlink") {
        await addEntry(() => zip.symlink(item.entry, item.target, item.mode & 0o777));
        manifest.symlinks.push({ entry: item.entry, target: item.target });
      } else {
        const opened = await openRegularFile(item);
        if ("warning" in opened) {
          warn(opened.warning);
          continue;
        }
        const store = ALREADY_COMPRESSED.has(path.extname(item.entry).slice(1).toLowerCase());
        const options = { name: item.entry, mode: item.mode & 0o777, date: item.mtime, store };
        const read = await appendFile(opened, req.onBytes, (source) => addEntry(() => zip.append(source, options)));
        if (read.size !== item.size) {
          warn(`${item.absPath} changed size during the backup (${item.size} -> ${read.size} bytes); archived as read`);
        }
        manifest.files.push({
          entry: item.entry,
          size: read.size,
          sha256: read.sha256,
          mode: item.mode & 0o777,
          mtime: item.mtime.toISOString(),
        });
      }
    }

    req.onPhase("finalizing");
    await addEntry(() => zip.append(Buffer.from(JSON.stringify(manifest, null, 2)), { name: MANIFEST_NAME }));
    await Promise.race([failed, zip.finalize()]);
    await written;
    await fs.promises.rename(req.partFile, req.outFile);
    return { size: archiveTap.bytes, sha256: archiveTap.digest(), manifest };
  } catch (error) {
    zip.abort();
    out.destroy();
    await fs.promises.rm(req.partFile, { force: true });
    throw error;
  }
}
