import path from "node:path";
import type { Backup } from "@/lib/db";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { logFileName } from "@/lib/backup/jobs/names";
import { applyRetention } from "@/lib/backup/jobs/retention";
import { notifyJobEnded } from "@/lib/mail/notify";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/**
 * What follows every backup or restore, however it was started (portal, CLI, schedule): old backups are
 * pruned after a successful one, and the people concerned are told. Neither can change the job's outcome.
 */
export async function afterJob(job: Backup, settings: Settings): Promise<void> {
  const log = openBackupLog(path.join(resolvedBackupDir(settings), logFileName(job.fileName)));
  if (job.kind === "backup" && job.status === "completed") {
    try {
      const deleted = await applyRetention(settings);
      if (deleted.length) log.info(`Retention deleted ${deleted.length} old backup(s): ${deleted.join(", ")}`);
    } catch (error) {
      log.warn(`Retention could not run: ${(error as Error).message}`);
    }
  }
  const sentTo = await notifyJobEnded(job, settings);
  if (sentTo) log.info(`Notification mail sent (${sentTo})`);
}
