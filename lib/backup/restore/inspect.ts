import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { MANIFEST_NAME, manifestSchema, type Manifest } from "@/lib/backup/archive/manifest";
import { isDirectoryEntry, isSymlinkEntry, listEntries, openZip, readEntryText, type Entry, type ZipFile } from "@/lib/backup/archive/zip-reader";

export class ArchiveRejectedError extends Error {}

export interface InspectedArchive {
  file: string;
  zip: ZipFile;
  manifest: Manifest;
  entries: Map<string, Entry>;
  uncompressedBytes: number;
  close(): void;
}

const SAFE_SEGMENT = /^(?!\.{1,2}$)[^/\\\0]+$/;

/** A relative archive path with no way out: no `..`, no absolute part, no empty segment, no NUL. */
export function isSafeRelativePath(rel: string): boolean {
  return rel.length > 0 && rel.split("/").every((segment) => SAFE_SEGMENT.test(segment));
}

/** Where a symlink at `entry` pointing to `target` lands, relative to its root; null when outside. */
export function symlinkStaysInside(entryInRoot: string, target: string): boolean {
  if (target.startsWith("/") || target.includes("\0") || target.includes("\\")) return false;
  const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(entryInRoot), target));
  return resolved !== ".." && !resolved.startsWith("../") && !path.posix.isAbsolute(resolved);
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks an archive's structure before anything is extracted: the manifest parses, every entry is one
 * the manifest lists (and every listed one is there, once), names cannot escape their folder, links
 * point inside their root, and declared sizes match. Contents are checked while they are read.
 */
export async function inspectArchive(file: string): Promise<InspectedArchive> {
  const zip = await openZip(file).catch((error: Error) => {
    throw new ArchiveRejectedError(`Not a readable zip archive: ${error.message}`);
  });
  try {
    const list = await listEntries(zip).catch((error: Error) => {
      throw new ArchiveRejectedError(`The archive has an unsafe or damaged entry: ${error.message}`);
    });
    const entries = new Map<string, Entry>();
    for (const entry of list) {
      if (entries.has(entry.fileName)) throw new ArchiveRejectedError(`The archive holds ${entry.fileName} twice`);
      entries.set(entry.fileName, entry);
    }
    const manifestEntry = entries.get(MANIFEST_NAME);
    if (!manifestEntry) throw new ArchiveRejectedError("This is not a Safekeep backup: it has no manifest.json");
    const parsed = manifestSchema.safeParse(JSON.parse(await readEntryText(zip, manifestEntry, 256 * 1024 * 1024).catch(() => "null")));
    if (!parsed.success) throw new ArchiveRejectedError("This is not a Safekeep backup: its manifest.json is not valid");
    const manifest = parsed.data;
    checkAgainstManifest(manifest, entries);
    const uncompressedBytes = list.reduce((sum, e) => sum + e.uncompressedSize, 0);
    return { file, zip, manifest, entries, uncompressedBytes, close: () => zip.close() };
  } catch (error) {
    zip.close();
    throw error;
  }
}

function checkAgainstManifest(manifest: Manifest, entries: Map<string, Entry>): void {
  const labels = new Set(manifest.source.fileRoots.map((r) => r.label));
  const expected = new Map<string, "file" | "directory" | "symlink" | "database" | "manifest">([[MANIFEST_NAME, "manifest"]]);
  const inRoot = (entry: string) => {
    const match = /^files\/([^/]+)\/(.+)$/.exec(entry.replace(/\/$/, ""));
    if (!match || !labels.has(match[1]!) || !isSafeRelativePath(match[2]!)) {
      throw new ArchiveRejectedError(`Unsafe path in the archive: ${entry}`);
    }
    return match[2]!;
  };
  if (manifest.database) {
    if (!/^database\/[^/\\\0]+$/.test(manifest.database.entry) || !isSafeRelativePath(manifest.database.entry)) {
      throw new ArchiveRejectedError(`Unsafe path in the archive: ${manifest.database.entry}`);
    }
    expected.set(manifest.database.entry, "database");
  }
  for (const f of manifest.files) {
    inRoot(f.entry);
    expected.set(f.entry, "file");
  }
  for (const d of manifest.directories) {
    inRoot(d);
    expected.set(d, "directory");
  }
  for (const link of manifest.symlinks) {
    const rel = inRoot(link.entry);
    if (!symlinkStaysInside(rel, link.target)) {
      throw new ArchiveRejectedError(`The link ${link.entry} points outside its folder (${link.target})`);
    }
    expected.set(link.entry, "symlink");
  }
  if (expected.size !== manifest.files.length + manifest.directories.length + manifest.symlinks.length + (manifest.database ? 1 : 0) + 1) {
    throw new ArchiveRejectedError("The manifest lists an entry twice");
  }

  for (const [name, entry] of entries) {
    const kind = expected.get(name);
    if (!kind) throw new ArchiveRejectedError(`The archive holds ${name}, which its manifest does not list`);
    if (isSymlinkEntry(entry) !== (kind === "symlink")) {
      throw new ArchiveRejectedError(`${name} is ${isSymlinkEntry(entry) ? "a link" : "not a link"} but the manifest says otherwise`);
    }
    if (isDirectoryEntry(entry) !== (kind === "directory")) throw new ArchiveRejectedError(`${name} does not match its manifest`);
  }
  for (const name of expected.keys()) {
    if (!entries.has(name)) throw new ArchiveRejectedError(`The archive is missing ${name}, which its manifest lists`);
  }
  for (const f of manifest.files) {
    if (entries.get(f.entry)!.uncompressedSize !== f.size) throw new ArchiveRejectedError(`${f.entry} has a different size than its manifest says`);
  }
  if (manifest.database && entries.get(manifest.database.entry)!.uncompressedSize !== manifest.database.size) {
    throw new ArchiveRejectedError(`${manifest.database.entry} has a different size than its manifest says`);
  }
}
