import fs from "node:fs/promises";
import { prisma, type Backup } from "@/lib/db";
import { drillScratchDir } from "@/lib/backup/restore/run-drill";
import { deathOf, HEARTBEAT_TIMEOUT_MS, markCancelled, markFailed } from "@/lib/backup/jobs/queue";
import { isRunning } from "@/lib/backup/jobs/process-tree";
import { ACTIVE_STATUSES } from "@/lib/backup/jobs/status";
import { cleanUpDeadRestore, RESTORE_CHANGING_PHASES } from "@/lib/backup/restore/paths";
import type { Settings } from "@/lib/settings";
import { removeStaleCredentials } from "@/lib/backup/database/credentials-file";

/**
 * Finds jobs whose process died (killed, crashed, machine restarted) and marks them failed, so a dead
 * worker never holds the slot or shows a progress bar forever. Part of the maintenance tick, never of a
 * page view; the failure mail follows as the job's owed post-job steps.
 */
export async function reapStaleJobs(settings: Settings, now = Date.now()): Promise<number> {
  // Database passwords written for a dump tool whose process has died (killed mid-dump, crashed).
  await removeStaleCredentials();
  const open = await prisma.backup.findMany({ where: { status: { in: ACTIVE_STATUSES } } });
  let reaped = 0;
  for (const job of open) {
    if (job.status === "cancelling") {
      // Its canceller stopped before finishing (the portal restarted): finish for it once the process is gone.
      const heartbeat = (job.heartbeatAt ?? job.createdAt).getTime();
      const alive = job.pid ? isRunning(job.pid) : false;
      if (alive && now - heartbeat <= HEARTBEAT_TIMEOUT_MS) continue;
      if (alive) tryKill(job.pid!);
      await markCancelled(job, settings);
      reaped++;
      continue;
    }
    let reason = deathOf(job, now);
    if (!reason) continue;
    if (job.status === "running" && job.pid && isRunning(job.pid)) tryKill(job.pid);
    if (job.kind === "restore") reason = await explainDeadRestore(job, reason, settings);
    if (job.kind === "drill") await fs.rm(drillScratchDir(job.id), { recursive: true, force: true });
    await markFailed(job, reason, settings);
    reaped++;
  }
  return reaped;
}

/** A restore that died may have changed live data: say what is left and which safety backup to use. */
async function explainDeadRestore(job: Backup, reason: string, settings: Settings): Promise<string> {
  const kept = await cleanUpDeadRestore(settings, job.id);
  if (!RESTORE_CHANGING_PHASES.includes(job.phase)) return `${reason} Nothing had been changed yet.`;
  const previous = kept.length ? ` The previous files are kept in ${kept.join(", ")}.` : "";
  return `${reason} It stopped while replacing data (${job.phase}): the database and files may be half restored. Restore the safety backup ${job.safetyFileName ?? "(none was made)"} to go back.${previous}`;
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
