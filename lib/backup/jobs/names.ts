import { z } from "zod";

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** `<name>-<YYYYMMDD-HHmmss>-<id>.zip`, in UTC so names sort by time whatever the server's zone; `.zip.age` when encrypted. */
export function archiveFileName(baseName: string, createdAt: Date, id: number, encrypted = false): string {
  return `${baseName}-${stamp(createdAt)}-${id}.zip${encrypted ? ".age" : ""}`;
}

/** The name says what `age -d` expects; the reader still tells by the file's first bytes (archive-source.ts). */
export function isEncryptedName(fileName: string): boolean {
  return fileName.endsWith(".zip.age");
}

/** A restore job has a log but no archive of its own. */
export function restoreJobName(createdAt: Date, id: number): string {
  return `restore-${stamp(createdAt)}-${id}`;
}

/** A verify job has a log but no archive of its own either. */
export function verifyJobName(createdAt: Date, id: number): string {
  return `verify-${stamp(createdAt)}-${id}`;
}

/** So does a restore drill. */
export function drillJobName(createdAt: Date, id: number): string {
  return `drill-${stamp(createdAt)}-${id}`;
}

export const SAFETY_SUFFIX = "-safety";

export function isSafetyArchive(fileName: string): boolean {
  return /-safety-\d{8}-\d{6}-\d+\.zip(\.age)?$/.test(fileName);
}

/**
 * A backup file name as it may appear in a URL or on a command line. Only plain names: no directory part,
 * no `..`, no NUL, nothing but ASCII letters, digits, dot, dash and underscore, ending in .zip (or .zip.age).
 */
export const backupFileNameSchema = z
  .string()
  .max(200, "File name too long")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.zip(\.age)?$/, "Not a backup file name")
  .refine((name) => !name.includes(".."), "Not a backup file name");

export function logFileName(jobName: string): string {
  return /\.zip(\.age)?$/.test(jobName) ? jobName.replace(/\.zip(\.age)?$/, ".log") : `${jobName}.log`;
}

/** `sha256sum -c` reads this file beside the archive; re-indexing and verifying use it too. */
export function checksumFileName(archiveName: string): string {
  return `${archiveName}.sha256`;
}

/** Work in progress is hidden (leading dot) and never matches backupFileNameSchema. */
export function partialFileNames(archiveName: string): string[] {
  // The archive, the database's work file, then the lists that wait on disk: the walk's entries (run.ts),
  // the manifest's files and directories (manifest-writer.ts) and the zip's central directory (archive.ts).
  const part = `.${archiveName}.part`;
  return [part, `.${archiveName}.db.part`, `${part}.walk`, `${part}.files`, `${part}.dirs`, `${part}.central`];
}
