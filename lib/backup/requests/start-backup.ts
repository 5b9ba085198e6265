import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { SafekeepError } from "@/lib/errors";

/** Starts a backup in the background for the caller. Throws `busy` while another job holds the slot. */
export async function startBackup({ user, actor, settings }: Caller): Promise<BackupView> {
  const backup = await startBackgroundBackup(settings, user.id);
  await recordAudit(actor, "backup.create", backup.fileName);
  if (backup.status === "failed") throw new SafekeepError("failed", `Backup failed to start: ${backup.error}`);
  return toView(backup);
}
