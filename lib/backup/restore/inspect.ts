import { createHash } from "node:crypto";
import fs from "node:fs";
import { linkTarget, MANIFEST_NAME, physicalPath, type Manifest } from "@/lib/backup/archive/manifest";
import { ManifestRefusedError, readManifest } from "@/lib/backup/archive/manifest-reader";
import { isSafeRawKey } from "@/lib/backup/archive/entry-names";
import { openArchiveSource, type ArchiveKeys, type ArchiveSource } from "@/lib/backup/archive/archive-source";
import { findDirectory, isDirectoryEntry, isSymlinkEntry, listEntries, type ListedKind, type ZipEntry } from "@/lib/backup/archive/central-directory";
import { streamEntry } from "@/lib/backup/archive/entry-reader";

export class ArchiveRejectedError extends Error {}

export interface InspectedArchive {
  file: string;
  /** The zip's bytes, decrypted as they are read when the archive is encrypted. */
  source: ArchiveSource;
  manifest: Manifest;
  entries: Map<string, ZipEntry>;
  uncompressedBytes: number;
  close(): Promise<void>;
}

// A backslash is an ordinary byte in a Linux name (`C:\fakepath\photo.jpg` from a browser upload).
const SAFE_SEGMENT = /^(?!\.{1,2}$)[^/\0]+$/;

/** A relative archive path with no way out: no `..`, no absolute part, no empty segment, no NUL. */
export function isSafeRelativePath(rel: string): boolean {
  return rel.length > 0 && rel.split("/").every((segment) => SAFE_SEGMENT.test(segment));
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/**
 * Checks an archive's structure before anything is extracted: the manifest parses, every entry is one
 * the manifest lists (and every listed one is there, once), names cannot escape their folder, nothing
 * lies under a link, and declared sizes match. Contents are checked while they are read.
 */
export async function inspectArchive(file: string, keys?: ArchiveKeys | null): Promise<InspectedArchive> {
  const source = await openArchiveSource(file, keys);
  try {
    const directory = await findDirectory(source).catch((error: Error) => {
      throw new ArchiveRejectedError(`Not a readable zip archive: ${error.message}`);
    });
    const list = await listEntries(source, directory).catch((error: Error) => {
      throw new ArchiveRejectedError(`The archive has an unsafe or damaged entry: ${error.message}`);
    });
    const entries = new Map<string, ZipEntry>();
    let uncompressedBytes = 0;
    for (const entry of list) {
      if (entries.has(entry.name)) throw new ArchiveRejectedError(`The archive holds ${entry.name} twice`);
      entries.set(entry.name, entry);
      uncompressedBytes += entry.uncompressedSize;
    }
    list.length = 0;
    const manifestEntry = entries.get(MANIFEST_NAME);
    if (!manifestEntry) throw new ArchiveRejectedError("This is not a Safekeep backup: it has no manifest.json");
    const manifest = await readManifestEntry(source, manifestEntry, entries);
    if (!manifest) throw new ArchiveRejectedError("This is not a Safekeep backup: its manifest.json is not valid");
    checkAgainstManifest(manifest, entries);
    return { file, source, manifest, entries, uncompressedBytes, close: () => source.close() };
  } catch (error) {
    await source.close();
    throw error;
  }
}

/**
 * The manifest, read as it inflates; its names are the entries' own strings where they match, so each name
 * is held once. No bound on its size as such: 2,000,000 files make a manifest of 430 MB. What is held while
 * it is read is bounded instead (manifest-reader.ts): a record at a time, and no more records than entries.
 */
async function readManifestEntry(source: ArchiveSource, entry: ZipEntry, entries: Map<string, ZipEntry>): Promise<Manifest | null> {
  try {
    // Small pieces: each is dropped before the next young-generation collection, instead of being promoted
    // and held (tens of megabytes of them) until the next full one.
    const stream = await streamEntry(source, entry, 64 * 1024);
    let bytes = 0;
    const counted = (async function* () {
      for await (const chunk of stream) {
        bytes += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    })();
    const manifest = await readManifest(counted, (name) => entries.get(name)?.name ?? name, entries.size);
    // Shorter than its declared size is damage too (longer is stopped by the reader).
    return bytes === entry.uncompressedSize ? manifest : null;
  } catch (error) {
    if (error instanceof ManifestRefusedError) throw new ArchiveRejectedError(`This backup's manifest.json is refused: ${error.message}`);
    return null;
  }
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * physicalPath as latin1 text, without a copy where it can: a plain ASCII name's real path is part of
 * the entry's own name (a slice of it shares its characters), which is every name of a usual site.
 */
function physicalKey(record: { entry: string; raw?: string }, label: string): string {
  if (record.raw === undefined && ASCII.test(record.entry)) return record.entry.slice(`files/${label}/`.length, record.entry.endsWith("/") ? -1 : undefined);
  return physicalPath(record, label).toString("latin1");
}

function checkAgainstManifest(manifest: Manifest, entries: Map<string, ZipEntry>): void {
  for (const name of entries.keys()) {
    if (name !== MANIFEST_NAME && !isSafeRelativePath(name.replace(/\/$/, ""))) throw new ArchiveRejectedError(`Unsafe path in the archive: ${name}`);
  }
  const labels = new Set<string>();
  for (const { label } of manifest.source.fileRoots) {
    if (!SAFE_SEGMENT.test(label) || labels.has(label)) throw new ArchiveRejectedError(`The archive names a folder with an unusable label: ${label}`);
    labels.add(label);
  }
  // What the manifest lists each name as is kept on the entry itself (no second map of every name);
  // names with no entry wait here, refused once the checks that come first have passed.
  const absent = new Map<string, ListedKind>();
  let listed = 0;
  const list = (name: string, kind: ListedKind) => {
    const entry = entries.get(name);
    if (entry ? entry.listedAs === null : !absent.has(name)) listed++;
    if (entry) entry.listedAs = kind;
    else absent.set(name, kind);
  };
  list(MANIFEST_NAME, "manifest");
  // Per root, every entry's real path (bytes, as latin1 text so that any byte is one character): what
  // the restore writes, so what the checks below look at.
  const physical = new Map<string, Map<string, "file" | "directory" | "symlink">>([...labels].map((l) => [l, new Map()]));
  const place = (record: { entry: string; raw?: string }, kind: "file" | "directory" | "symlink") => {
    const match = /^files\/([^/]+)\/(.+)$/.exec(record.entry.replace(/\/$/, ""));
    if (!match || !labels.has(match[1]!) || !isSafeRelativePath(match[2]!) || (kind === "directory") !== record.entry.endsWith("/")) {
      throw new ArchiveRejectedError(`Unsafe path in the archive: ${record.entry}`);
    }
    const key = physicalKey(record, match[1]!);
    if (!isSafeRawKey(key)) throw new ArchiveRejectedError(`Unsafe path in the archive: ${record.entry} (its real name)`);
    const inRoot = physical.get(match[1]!)!;
    if (inRoot.has(key)) throw new ArchiveRejectedError(`The manifest lists ${record.entry} twice`);
    inRoot.set(key, kind);
    list(record.entry, kind);
  };
  if (manifest.database) {
    if (!/^database\/[^/\\\0]+$/.test(manifest.database.entry) || !isSafeRelativePath(manifest.database.entry)) {
      throw new ArchiveRejectedError(`Unsafe path in the archive: ${manifest.database.entry}`);
    }
    list(manifest.database.entry, "database");
  }
  for (const f of manifest.files) place(f, "file");
  for (const d of manifest.directories) place(d, "directory");
  for (const link of manifest.symlinks) {
    place(link, "symlink");
    // A link may point anywhere (that is what the site had); the restore never writes through one.
    const target = linkTarget(link);
    if (target.length === 0 || target.length > 4095 || target.includes(0)) throw new ArchiveRejectedError(`The link ${link.entry} has an unusable target`);
  }
  if (listed !== manifest.files.length + manifest.directories.length + manifest.symlinks.length + (manifest.database ? 1 : 0) + 1) {
    throw new ArchiveRejectedError("The manifest lists an entry twice");
  }
  // Nothing may sit under a link: writing it would go wherever the link points.
  for (const [label, inRoot] of physical) {
    for (const key of inRoot.keys()) {
      for (let cut = key.indexOf("/"); cut !== -1; cut = key.indexOf("/", cut + 1)) {
        const above = inRoot.get(key.slice(0, cut));
        if (above === "symlink" || above === "file") {
          throw new ArchiveRejectedError(
            `The archive puts ${JSON.stringify(Buffer.from(key, "latin1").toString("utf8"))} under the ${above === "symlink" ? "link" : "file"} ${JSON.stringify(Buffer.from(key.slice(0, cut), "latin1").toString("utf8"))} in ${label}`,
          );
        }
      }
    }
  }

  for (const [name, entry] of entries) {
    const kind = entry.listedAs;
    if (!kind) throw new ArchiveRejectedError(`The archive holds ${name}, which its manifest does not list`);
    if (isSymlinkEntry(entry) !== (kind === "symlink")) {
      throw new ArchiveRejectedError(`${name} is ${isSymlinkEntry(entry) ? "a link" : "not a link"} but the manifest says otherwise`);
    }
    if (isDirectoryEntry(entry) !== (kind === "directory")) throw new ArchiveRejectedError(`${name} does not match its manifest`);
  }
  for (const name of absent.keys()) throw new ArchiveRejectedError(`The archive is missing ${name}, which its manifest lists`);
  for (const f of manifest.files) {
    if (entries.get(f.entry)!.uncompressedSize !== f.size) throw new ArchiveRejectedError(`${f.entry} has a different size than its manifest says`);
  }
  if (manifest.database && entries.get(manifest.database.entry)!.uncompressedSize !== manifest.database.size) {
    throw new ArchiveRejectedError(`${manifest.database.entry} has a different size than its manifest says`);
  }
}
