import fs from "node:fs/promises";
import { prisma, type Backup } from "@/lib/db";
import { drillScratchDir } from "@/lib/backup/restore/run-drill";
import { notFound, SafekeepError } from "@/lib/errors";
import { WORKING_STATUSES } from "@/lib/backup/jobs/status";
import type { Settings } from "@/lib/settings";
import { markCancelled } from "@/lib/backup/jobs/queue";
import { stopTree } from "@/lib/backup/jobs/process-tree";
import { removeStaleCredentials } from "@/lib/backup/database/credentials-file";
import { cleanUpDeadRestore, RESTORE_CHANGING_PHASES } from "@/lib/backup/restore/paths";

/** How long a worker gets to stop on SIGTERM before it is killed. */
export const CANCEL_GRACE_MS = 5000;

/**
 * Cancels a queued or running backup, whoever started it (portal, CLI or cron: its pid is in the record).
 * The record goes to `cancelling` first, so the worker can no longer end it as completed or failed; then
 * its process tree is stopped, and only then is the slot freed and every partial file removed.
 * Returns the final record: `cancelled`, or what the job had already become when the request came.
 */
export async function cancelBackup(id: number, settings: Settings, by: string, graceMs = CANCEL_GRACE_MS): Promise<Backup> {
  // A restore may be stopped while it only verifies and makes its safety backup, not once it replaces data.
  const claimed = await prisma.backup.updateMany({
    where: {
      id,
      status: { in: WORKING_STATUSES },
      OR: [{ kind: { not: "restore" } }, { phase: { notIn: RESTORE_CHANGING_PHASES } }],
    },
    data: { status: "cancelling", error: `Cancelled by ${by}` },
  });
  const backup = await prisma.backup.findUnique({ where: { id } });
  if (!backup) throw notFound("No such backup");
  if (claimed.count === 0 && backup.kind === "restore" && backup.status === "running") {
    throw new SafekeepError("not_active", "This restore is replacing data now and cannot be stopped; it finishes, or puts everything back if it fails.");
  }
  if (claimed.count === 0 && backup.status !== "cancelling") {
    throw new SafekeepError("not_active", `Backup ${backup.fileName} is ${backup.status}; only a queued or running backup can be cancelled.`);
  }
  if (backup.pid) await stopTree(backup.pid, graceMs);
  await removeStaleCredentials();
  if (backup.kind === "restore") await cleanUpDeadRestore(settings, backup.id);
  if (backup.kind === "drill") await fs.rm(drillScratchDir(backup.id), { recursive: true, force: true });
  await markCancelled(backup, settings);
  return prisma.backup.findUniqueOrThrow({ where: { id } });
}
