import { prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { startBackgroundVerify } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound, SafekeepError } from "@/lib/errors";

/** Reads an archive of the backup directory back whole, in the background; a "not verified" one passing becomes a backup. */
export async function requestVerify(id: number, { user, actor, settings }: Caller): Promise<BackupView> {
  const backup = await prisma.backup.findUnique({ where: { id } });
  if (!backup || backup.kind === "restore" || backup.kind === "verify") throw notFound("No such backup");
  if (backup.status !== "unverified" && backup.status !== "completed") {
    throw new SafekeepError("not_active", `Backup ${backup.fileName} is ${backup.status}: only an archive on disk can be verified.`);
  }
  const job = await startBackgroundVerify(settings, user.id, backup.fileName);
  await recordAudit(actor, "backup.verify", backup.fileName, { job: job.fileName });
  return toView(job);
}
