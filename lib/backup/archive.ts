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
        const handle = await fs.promises.open(item.absPath, "r").catch((e: NodeJS.ErrnoException) => {
          manifest.warnings.push(`${item.absPath} could not be read (${e.code ?? e.message}); skipped`);
          req.log.warn(`${item.absPath} could not be read (${e.code ?? e.message}); skipped`);
          return null;
        });
        if (!handle) continue;
        const tap = new HashTap(req.onBytes);
        const source = handle.createReadStream();
        pipeline(source, tap).catch((e) => tap.destroy(e));
        const store = ALREADY_COMPRESSED.has(path.extname(item.entry).slice(1).toLowerCase());
        await addEntry(() => zip.append(tap, { name: item.entry, mode: item.mode & 0o777, date: item.mtime, store }));
        manifest.files.push({
          entry: item.entry,
          size: tap.bytes,
          sha256: tap.digest(),
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
