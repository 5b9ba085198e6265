import { prisma, type Backup } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { cancelBackup } from "@/lib/backup/jobs/cancel";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound } from "@/lib/errors";

/** Stops a queued or running job, whoever started it; throws `not_active` when it has already ended. */
export async function cancelJob(id: number, { user, actor, settings }: Caller): Promise<BackupView> {
  const backup = await cancelBackup(id, settings, user.email);
  await recordAudit(actor, "backup.cancel", backup.fileName, { status: backup.status });
  return toView(backup);
}

/** Deletes a finished job: archive, log and record. `missing` is the sentence for a job that is not there. */
export async function deleteJob(where: { id: number } | { fileName: string }, { actor, settings }: Caller, missing = "No such backup"): Promise<Backup> {
  const backup =
    "id" in where ? await prisma.backup.findUnique({ where: { id: where.id } }) : await prisma.backup.findUnique({ where: { fileName: where.fileName } });
  if (!backup) throw notFound(missing);
  await deleteBackup(backup, settings);
  await recordAudit(actor, "backup.delete", backup.fileName);
  return backup;
}

/** A pinned backup is never deleted by retention. */
export async function setPinned(id: number, pinned: boolean, { actor }: Caller): Promise<BackupView> {
  const updated = await prisma.backup.updateMany({ where: { id, kind: { not: "restore" } }, data: { pinned } });
  if (updated.count === 0) throw notFound("No such backup");
  const backup = await prisma.backup.findUniqueOrThrow({ where: { id } });
  await recordAudit(actor, pinned ? "backup.pin" : "backup.unpin", backup.fileName);
  return toView(backup);
}
