import { z } from "zod";
import { isDatabaseKind, type DatabaseKind } from "@/lib/backup/database/registry";

export const MANIFEST_NAME = "manifest.json";
/**
 * 2: any name (the real bytes in `raw` where the zip name is escaped), links with their exact target
 * (`targetRaw` where it is not UTF-8), directories with their metadata, modes with their special bits,
 * owners, and each root's own metadata. 1 (read, not written): names as UTF-8 only, directories as names.
 */
export const MANIFEST_FORMAT_VERSION = 2;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/);
const owner = { uid: z.number().int().nonnegative().optional(), gid: z.number().int().nonnegative().optional() };
const database = z
  .object({
    kind: z.custom<DatabaseKind>((v) => isDatabaseKind(v), "an unknown kind of database"),
    name: z.string(),
    entry: z.string(),
    size: z.number().nonnegative(),
    sha256,
  })
  .nullable();

const v1File = z.object({ entry: z.string(), size: z.number().nonnegative(), sha256, mode: z.number(), mtime: z.string() });
const v1Symlink = z.object({ entry: z.string(), target: z.string() });

const v1 = z.object({
  formatVersion: z.literal(1),
  app: z.literal("safekeep"),
  createdAt: z.string(),
  backupName: z.string(),
  source: z.object({ hostname: z.string(), fileRoots: z.array(z.object({ label: z.string(), path: z.string() })) }),
  database,
  files: z.array(v1File),
  directories: z.array(z.string()),
  symlinks: z.array(v1Symlink),
  warnings: z.array(z.string()),
});

const rawName = { raw: base64.optional() };
const fileSchema = z.object({ entry: z.string(), size: z.number().nonnegative(), sha256, mode: z.number(), mtime: z.string(), ...owner, ...rawName });
const directorySchema = z.object({ entry: z.string(), mode: z.number().optional(), mtime: z.string().optional(), ...owner, ...rawName });
const symlinkSchema = z.object({ entry: z.string(), target: z.string(), targetRaw: base64.optional(), mtime: z.string().optional(), ...owner, ...rawName });
const rootSchema = z.object({ label: z.string(), path: z.string(), mode: z.number().optional(), mtime: z.string().optional(), ...owner });

const v2 = z.object({
  formatVersion: z.literal(2),
  app: z.literal("safekeep"),
  createdAt: z.string(),
  backupName: z.string(),
  source: z.object({ hostname: z.string(), fileRoots: z.array(rootSchema) }),
  database,
  files: z.array(fileSchema),
  directories: z.array(directorySchema),
  symlinks: z.array(symlinkSchema),
  warnings: z.array(z.string()),
});

/** Either format, read as the current one: a version 1 archive keeps restoring as it always did. */
export const manifestSchema = z.union([v2, v1]).transform((m): Manifest => {
  if (m.formatVersion === 2) return m;
  return {
    ...m,
    // Version 1 left a folder's mode to the umask; so does its restore.
    directories: m.directories.map((entry) => ({ entry })),
    symlinks: m.symlinks.map((l) => ({ entry: l.entry, target: l.target })),
  };
});

/**
 * The three lists' records one by one, for a reader that never holds the whole list's JSON (manifest-reader.ts):
 * what `manifestSchema` accepts for one record of each format.
 */
export const recordSchemas = {
  v2: { files: fileSchema, directories: directorySchema, symlinks: symlinkSchema },
  v1: { files: v1File, directories: z.string(), symlinks: v1Symlink },
};

/** A manifest of either format, in the current shape; `formatVersion` says which it was. */
export type Manifest = Omit<z.infer<typeof v2>, "formatVersion"> & { formatVersion: 1 | 2 };
export type ManifestFile = Manifest["files"][number];
export type ManifestDirectory = Manifest["directories"][number];
export type ManifestSymlink = Manifest["symlinks"][number];
export type ManifestRoot = Manifest["source"]["fileRoots"][number];

/** An entry's real path inside its root, as bytes: `raw` when the zip name is escaped, the name otherwise. */
export function physicalPath(record: { entry: string; raw?: string }, label: string): Buffer {
  if (record.raw !== undefined) return Buffer.from(record.raw, "base64");
  return Buffer.from(record.entry.slice(`files/${label}/`.length).replace(/\/$/, ""));
}

/** A link's exact target, as bytes. */
export function linkTarget(link: ManifestSymlink): Buffer {
  return link.targetRaw !== undefined ? Buffer.from(link.targetRaw, "base64") : Buffer.from(link.target);
}
