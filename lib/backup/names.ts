import { z } from "zod";

/** `<name>-<YYYYMMDD-HHmmss>-<id>.zip`, in UTC so names sort by time whatever the server's zone. */
export function archiveFileName(baseName: string, createdAt: Date, id: number): string {
  const stamp = createdAt.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${baseName}-${stamp}-${id}.zip`;
}

/**
 * A backup file name as it may appear in a URL or on a command line. Only plain names: no directory part,
 * no `..`, no NUL, nothing but ASCII letters, digits, dot, dash and underscore, ending in .zip.
 */
export const backupFileNameSchema = z
  .string()
  .max(200, "File name too long")
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.zip$/, "Not a backup file name")
  .refine((name) => !name.includes(".."), "Not a backup file name");

export function logFileName(archiveName: string): string {
  return archiveName.replace(/\.zip$/, ".log");
}

/** Work in progress is hidden (leading dot) and never matches backupFileNameSchema. */
export function partialFileNames(archiveName: string): string[] {
  return [`.${archiveName}.part`, `.${archiveName}.db.part`];
}
