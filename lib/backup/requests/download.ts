import { prisma, type Backup } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { resolveInside } from "@/lib/backup/jobs/paths";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound } from "@/lib/errors";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { storedCopyOf, verifiedRange, type RemoteCopy } from "@/lib/offsite/remote-read";

export type { RemoteCopy };
export { verifiedRange };

/** Only names the portal knows as completed backups are served, whatever else lies in the directory. */
export async function findDownload(fileName: string, settings: Settings): Promise<{ backup: Backup; file: string }> {
  const backup = await prisma.backup.findUnique({ where: { fileName } });
  if (!backup || backup.status !== "completed") throw notFound("No such backup");
  return { backup, file: resolveInside(resolvedBackupDir(settings), backup.fileName) };
}

/** When the local archive is gone: a stored offsite copy to stream instead, checked against the recorded SHA-256. */
export async function findOffsiteCopy(backup: Backup): Promise<RemoteCopy | null> {
  if (!backup.sha256) return null;
  return storedCopyOf(backup.fileName, backup.sizeBytes);
}

export function recordDownload(backup: Backup, { actor }: Caller, range?: string, from?: string): Promise<void> {
  const details = { ...(range ? { range } : {}), ...(from ? { from } : {}) };
  return recordAudit(actor, "backup.download", backup.fileName, Object.keys(details).length ? details : undefined);
}

/** With delete-after-download on: once the whole file went out in one response. */
export async function deleteAfterDownload(backup: Backup, { actor, settings }: Caller): Promise<void> {
  await deleteBackup(backup, settings).catch(() => {});
  await recordAudit(actor, "backup.delete-after-download", backup.fileName);
}
