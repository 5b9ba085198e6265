import fs from "node:fs/promises";
import path from "node:path";
import { backupFileNameSchema, checksumFileName, logFileName, partialFileNames } from "@/lib/backup/jobs/names";

/** Creates the backup directory private to this user (0700): backups hold every secret a site has. */
export async function ensurePrivateDir(dir: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  await fs.chmod(dir, 0o700);
  return dir;
}

/** Resolves a validated file name inside `dir` and nowhere else; throws for anything that is not a plain name. */
export function resolveInside(dir: string, fileName: string): string {
  const name = backupFileNameSchema.parse(fileName);
  const resolved = path.resolve(dir, name);
  if (path.dirname(resolved) !== path.resolve(dir)) throw new Error("Not a backup file name");
  return resolved;
}

/** Every file a job owns in the backup directory; the one place their names are put together. */
export interface JobFiles {
  /** The archive (a restore job has none: this path never exists for it). */
  archive: string;
  log: string;
  checksum: string;
  /** Work in progress: the hidden archive, the dump's work file and the spooled lists. */
  partials: string[];
}

export function jobFiles(backupDir: string, jobName: string): JobFiles {
  const at = (name: string) => path.join(backupDir, name);
  return {
    archive: at(jobName),
    log: at(logFileName(jobName)),
    checksum: at(checksumFileName(jobName)),
    partials: partialFileNames(jobName).map(at),
  };
}
