import { prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { startBackgroundDrill } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound } from "@/lib/errors";

/** The backup a drill proves by default: the newest completed one. */
export function newestBackup() {
  return prisma.backup.findFirst({ where: { kind: "backup", status: "completed" }, orderBy: { id: "desc" } });
}

/** Restores the newest backup into scratch places, in the background, and compares: nothing live is touched. */
export async function requestDrill({ user, actor, settings }: Caller): Promise<BackupView> {
  const backup = await newestBackup();
  if (!backup) throw notFound("There is no completed backup to drill yet");
  const job = await startBackgroundDrill(settings, user.id, backup.fileName);
  await recordAudit(actor, "backup.drill", backup.fileName, { job: job.fileName });
  return toView(job);
}
