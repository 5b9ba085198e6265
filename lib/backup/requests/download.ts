import { prisma, type Backup } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { resolveInside } from "@/lib/backup/jobs/paths";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound } from "@/lib/errors";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** Only names the portal knows as completed backups are served, whatever else lies in the directory. */
export async function findDownload(fileName: string, settings: Settings): Promise<{ backup: Backup; file: string }> {
  const backup = await prisma.backup.findUnique({ where: { fileName } });
  if (!backup || backup.status !== "completed") throw notFound("No such backup");
  return { backup, file: resolveInside(resolvedBackupDir(settings), backup.fileName) };
}

export function recordDownload(backup: Backup, { actor }: Caller, range?: string): Promise<void> {
  return recordAudit(actor, "backup.download", backup.fileName, range ? { range } : undefined);
}

/** With delete-after-download on: once the whole file went out in one response. */
export async function deleteAfterDownload(backup: Backup, { actor, settings }: Caller): Promise<void> {
  await deleteBackup(backup, settings).catch(() => {});
  await recordAudit(actor, "backup.delete-after-download", backup.fileName);
}
