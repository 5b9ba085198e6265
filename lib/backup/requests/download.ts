import { prisma, type Backup } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { resolveInside } from "@/lib/backup/jobs/paths";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound, SafekeepError } from "@/lib/errors";
import { ArchiveKeyError, isEncryptedArchive, openArchiveSource, type ArchiveSource } from "@/lib/backup/archive/archive-source";
import { keysFromText, withPortalKeys } from "@/lib/backup/crypto/keys";
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

/**
 * An encrypted backup, decrypted as it is sent (download-decrypted): the owner's key is used for this
 * response only. Each 64 KiB chunk is authenticated before it goes out; a tampered one ends the download.
 */
export async function openDecryptedDownload(
  fileName: string,
  keyText: string | undefined,
  caller: Caller,
): Promise<{ backup: Backup; source: ArchiveSource; name: string }> {
  const { backup, file } = await findDownload(fileName, caller.settings);
  if (!(await isEncryptedArchive(file).catch(() => false))) throw new SafekeepError("invalid", "This backup is not encrypted: download it as it is");
  const source = await openArchiveSource(file, withPortalKeys(keysFromText(keyText), caller.settings)).catch((error: Error) => {
    throw error instanceof ArchiveKeyError ? new SafekeepError("invalid", error.message) : error;
  });
  await recordAudit(caller.actor, "backup.download-decrypted", backup.fileName);
  return { backup, source, name: backup.fileName.replace(/\.age$/, "") };
}
