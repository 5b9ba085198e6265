import { prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { startBackgroundVerify } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound, SafekeepError } from "@/lib/errors";
import { ArchiveKeyError, isEncryptedArchive, openArchiveSource } from "@/lib/backup/archive/archive-source";
import { keysFromText, withPortalKeys } from "@/lib/backup/crypto/keys";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir } from "@/lib/settings";

/** Reads an archive of the backup directory back whole, in the background; a "not verified" one passing becomes a backup. */
export async function requestVerify(id: number, { user, actor, settings }: Caller, keyText?: string): Promise<BackupView> {
  const backup = await prisma.backup.findUnique({ where: { id } });
  if (!backup || backup.kind === "restore" || backup.kind === "verify") throw notFound("No such backup");
  if (backup.status !== "unverified" && backup.status !== "completed") {
    throw new SafekeepError("not_active", `Backup ${backup.fileName} is ${backup.status}: only an archive on disk can be verified.`);
  }
  const given = keysFromText(keyText);
  const file = resolveInside(resolvedBackupDir(settings), backup.fileName);
  if (await isEncryptedArchive(file).catch(() => false)) {
    // The key is checked here, so a wrong one is a sentence on the page rather than a failed job.
    const source = await openArchiveSource(file, withPortalKeys(given, settings)).catch((error: Error) => {
      throw error instanceof ArchiveKeyError ? new SafekeepError("invalid", error.message) : error;
    });
    await source.close();
  }
  const job = await startBackgroundVerify(settings, user.id, backup.fileName, given);
  await recordAudit(actor, "backup.verify", backup.fileName, { job: job.fileName });
  return toView(job);
}
