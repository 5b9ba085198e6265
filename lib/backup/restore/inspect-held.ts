import { linkTarget, MANIFEST_NAME, type Manifest, type ManifestFile } from "@/lib/backup/archive/manifest";
import { holdingReader } from "@/lib/backup/archive/manifest-reader";
import { isDirectoryEntry, isSymlinkEntry, listEntries, type Directory, type ListedKind, type ZipEntry } from "@/lib/backup/archive/central-directory";
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
} from "@/lib/backup/restore/archive-rules";

/**
 * The exact check, holding every entry and every record (about 500 bytes a file): what decides whenever
 * the check in two streams (inspect-streamed.ts) cannot vouch for an archive. It says precisely what is
 * wrong with a bad one, and reads an archive whose entries are not in its manifest's order.
 */
export async function inspectHeld(file: string, source: ArchiveSource, directory: Directory): Promise<InspectedArchive> {
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
  const manifest = await readWholeManifest(source, manifestEntry, entries);
  if (!manifest) throw new ArchiveRejectedError("This is not a Safekeep backup: its manifest.json is not valid");
  checkAgainstManifest(manifest, entries);

  const { files, directories, symlinks, database } = manifest;
  const summary = emptySummary();
  for (const f of files) countFile(summary, /^files\/([^/]+)\//.exec(f.entry)![1]!, f.size);
  summary.directories = directories.length;
  summary.symlinks = symlinks.length;
  return {
    file,
    source,
    manifest: headOf(manifest),
    summary,
    directories,
    symlinks: symlinks.map((record) => ({ record, entry: entries.get(record.entry)! })),
    database: database ? { record: database, entry: entries.get(database.entry)! } : null,
    files: () => heldFiles(files, entries),
    uncompressedBytes,
    close: () => source.close(),
  };
}

async function* heldFiles(files: ManifestFile[], entries: Map<string, ZipEntry>): AsyncGenerator<ArchiveFile[]> {
  for (let from = 0; from < files.length; from += 256) {
    yield files.slice(from, from + 256).map((record) => ({ record, entry: entries.get(record.entry)! }));
  }
}

/** Names are the entries' own strings where they match, so each name is held once. */
async function readWholeManifest(source: ArchiveSource, entry: ZipEntry, entries: Map<string, ZipEntry>): Promise<Manifest | null> {
  const { reader, manifest } = holdingReader((name) => entries.get(name)?.name ?? name, entries.size);
  const read = await readManifestEntry(source, entry, reader);
  return read && manifest(read);
}

function checkAgainstManifest(manifest: Manifest, entries: Map<string, ZipEntry>): void {
  for (const name of entries.keys()) {
    if (!isSafeEntryName(name)) throw new ArchiveRejectedError(`Unsafe path in the archive: ${name}`);
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
    const placed = placeOf(record, kind);
    if (typeof placed === "string" || !labels.has(placed.label)) {
      throw new ArchiveRejectedError(typeof placed === "string" ? placed : `Unsafe path in the archive: ${record.entry}`);
    }
    const inRoot = physical.get(placed.label)!;
    if (inRoot.has(placed.key)) throw new ArchiveRejectedError(`The manifest lists ${record.entry} twice`);
    inRoot.set(placed.key, kind);
    list(record.entry, kind);
  };
  if (manifest.database) {
    if (!DATABASE_ENTRY.test(manifest.database.entry) || !isSafeRelativePath(manifest.database.entry)) {
      throw new ArchiveRejectedError(`Unsafe path in the archive: ${manifest.database.entry}`);
    }
    list(manifest.database.entry, "database");
  }
  for (const f of manifest.files) place(f, "file");
  for (const d of manifest.directories) place(d, "directory");
  for (const link of manifest.symlinks) {
    place(link, "symlink");
    // A link may point anywhere (that is what the site had); the restore never writes through one.
    if (!isUsableTarget(linkTarget(link))) throw new ArchiveRejectedError(`The link ${link.entry} has an unusable target`);
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
