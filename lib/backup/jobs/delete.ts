import fs from "node:fs/promises";
import { prisma, type Backup } from "@/lib/db";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { isActive } from "@/lib/backup/jobs/status";
import { SafekeepError } from "@/lib/errors";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** Removes a finished backup's archive, log and record. A running one must end (or be reaped) first. */
export async function deleteBackup(backup: Backup, settings: Settings): Promise<void> {
  if (isActive(backup.status)) {
    throw new SafekeepError("busy", `Backup ${backup.fileName} is still ${backup.status}; it can be deleted when it ends.`);
  }
  const files = jobFiles(resolvedBackupDir(settings), backup.fileName);
  // A restore job has a log but no archive of its own.
  const owned = backup.kind === "restore" ? [files.log] : [files.archive, files.checksum, files.log];
  for (const file of owned) await fs.rm(file, { force: true });
  await prisma.backup.delete({ where: { id: backup.id } });
}
