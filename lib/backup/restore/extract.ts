import { createHash } from "node:crypto";
import fs from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ArchiveRejectedError, type InspectedArchive } from "@/lib/backup/restore/inspect";
import { MANIFEST_NAME } from "@/lib/backup/archive/manifest";
import { readEntryText, type Entry } from "@/lib/backup/archive/zip-reader";
import { readWholeEntry, streamEntry, WHOLE_ENTRY_MAX } from "@/lib/backup/archive/entry-reader";

export interface StagePlan {
  /** Root label → a new, empty staging directory. Roots left out are verified but not written. */
  fileRoots: Map<string, string>;
  /** Where the database dump goes, or null to verify it without writing it. */
  databaseFile: string | null;
  onBytes(count: number): void;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

function rootTarget(plan: StagePlan, entry: string): string | null {
  const match = /^files\/([^/]+)\/(.+?)\/?$/.exec(entry);
  const dir = match ? plan.fileRoots.get(match[1]!) : undefined;
  return dir && match ? path.join(dir, ...match[2]!.split("/")) : null;
}

async function ensureSpace(dir: string, bytes: number): Promise<void> {
  const stats = await fs.promises.statfs(dir);
  const free = stats.bavail * stats.bsize;
  if (bytes > free) {
    throw new ArchiveRejectedError(`Not enough free disk space in ${dir}: the restore needs ${bytes} bytes, ${free} are free`);
  }
}

/**
 * Reads every entry once, checking its SHA-256 and size against the manifest, and writes the chosen
 * parts into staging places only: the live database and files are not touched here. Any mismatch
 * throws ArchiveRejectedError and the caller removes the staging places.
 */
export async function verifyAndStage(archive: InspectedArchive, plan: StagePlan): Promise<void> {
  const { manifest, entries, zip } = archive;
  const expected = new Map(manifest.files.map((f) => [f.entry, f]));
  const links = new Map(manifest.symlinks.map((l) => [l.entry, l.target]));
  const writeBytes = manifest.files.reduce((sum, f) => sum + (rootTarget(plan, f.entry) ? f.size : 0), 0);
  for (const dir of plan.fileRoots.values()) await ensureSpace(path.dirname(dir), writeBytes);
  if (plan.databaseFile && manifest.database) await ensureSpace(path.dirname(plan.databaseFile), manifest.database.size);

  // Directories first, so that files and links always have a parent, and in name order.
  for (const name of [...manifest.directories].sort()) {
    const dest = rootTarget(plan, name);
    if (dest) await fs.promises.mkdir(dest, { recursive: true });
  }
  const names = [...entries.keys()].filter((name) => name !== MANIFEST_NAME && !name.endsWith("/"));
  // Several entries at once, each read with positioned reads and inflated in the thread pool, so reading,
  // inflating, hashing and writing of different entries overlap and both cores stay busy.
  const made = new Set<string>();
  const parentOf = async (dest: string) => {
    const dir = path.dirname(dest);
    if (made.has(dir)) return;
    await fs.promises.mkdir(dir, { recursive: true });
    made.add(dir);
  };
  const handle = await fs.promises.open(archive.file, "r");
  try {
    await inParallel(names, PARALLEL_ENTRIES, (name) => stageEntry(name));
  } finally {
    await handle.close();
  }

  async function stageEntry(name: string): Promise<void> {
    const entry = entries.get(name)!;
    if (links.has(name)) {
      const target = await readEntryText(zip, entry, 4096);
      if (target !== links.get(name)) throw new ArchiveRejectedError(`The link ${name} does not match its manifest`);
      const dest = rootTarget(plan, name);
      if (dest) {
        await parentOf(dest);
        await fs.promises.symlink(target, dest);
      }
      return;
    }
    const isDatabase = manifest.database?.entry === name;
    const want = isDatabase ? manifest.database! : expected.get(name)!;
    const dest = isDatabase ? plan.databaseFile : rootTarget(plan, name);
    if (dest) await parentOf(dest);
    const mode = isDatabase ? 0o600 : ((want as { mode: number }).mode & 0o777) | 0o600;
    const { size, sha256 } = await copyEntry(handle, entry, dest, mode, plan.onBytes).catch((error: Error) => {
      throw new ArchiveRejectedError(`${name} could not be read from the archive: ${error.message}`);
    });
    if (size !== want.size || sha256 !== want.sha256) {
      throw new ArchiveRejectedError(`${name} is damaged: its content does not match the checksum in the manifest`);
    }
    if (dest && !isDatabase) {
      const mtime = new Date((want as { mtime: string }).mtime);
      await fs.promises.utimes(dest, mtime, mtime).catch(() => {});
    }
  }
}

const PARALLEL_ENTRIES = 6;

/** Runs `work` on every item, `limit` at a time; after a failure starts nothing new, waits for the rest, throws it. */
async function inParallel<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const lane = async () => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failed) throw failure;
}

/**
 * Reads one entry, hashing it, and writes it to `dest` (when given). Small entries are checked before
 * they are written; a large one streams (entry-reader stops it past its declared size) and is checked at
 * its end (the caller removes the staging place when anything fails).
 */
async function copyEntry(
  archive: FileHandle,
  entry: Entry,
  dest: string | null,
  mode: number,
  onBytes: (n: number) => void,
): Promise<{ size: number; sha256: string }> {
  if (entry.uncompressedSize <= WHOLE_ENTRY_MAX && entry.compressedSize <= WHOLE_ENTRY_MAX) {
    const data = await readWholeEntry(archive, entry);
    onBytes(data.length);
    const sha256 = createHash("sha256").update(data).digest("hex");
    if (dest) await fs.promises.writeFile(dest, data, { flag: "wx", mode });
    return { size: data.length, sha256 };
  }
  const hash = createHash("sha256");
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      hash.update(chunk);
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  const target = dest ? fs.createWriteStream(dest, { flags: "wx", mode, highWaterMark: 1024 * 1024 }) : discard();
  await pipeline(await streamEntry(archive, entry), tap, target);
  return { size, sha256: hash.digest("hex") };
}
