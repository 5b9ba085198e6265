import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { checksumFileName, logFileName } from "@/lib/backup/jobs/names";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

export class BackupBusyError extends Error {}

/** Removes a finished backup's archive, log and record. A running one must end (or be reaped) first. */
export async function deleteBackup(backup: Backup, settings: Settings): Promise<void> {
  if (backup.status === "queued" || backup.status === "running" || backup.status === "cancelling") {
    throw new BackupBusyError(`Backup ${backup.fileName} is still ${backup.status}; it can be deleted when it ends.`);
  }
  const dir = resolvedBackupDir(settings);
  if (backup.kind !== "restore") {
    await fs.rm(resolveInside(dir, backup.fileName), { force: true });
    await fs.rm(path.join(dir, checksumFileName(backup.fileName)), { force: true });
  }
  await fs.rm(path.join(dir, logFileName(backup.fileName)), { force: true });
  await prisma.backup.delete({ where: { id: backup.id } });
}
