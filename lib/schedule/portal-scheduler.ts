import { drillLockedOut, newestBackup } from "@/lib/backup/requests/drill";
import { startBackgroundDrill, startBackgroundBackup } from "@/lib/backup/jobs/start";
import { JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { recordSchedulerHeartbeat } from "@/lib/schedule/heartbeat";
import { tick, type ScheduledBackupRunner } from "@/lib/schedule/runner";

/**
 * In the portal a due backup is handed to a detached background process, as the Create button does: the
 * web server never runs one itself (its memory and its restarts stay the site's, not the backup's).
 */
export const runInBackground: ScheduledBackupRunner = async (settings) => {
  try {
    const job = await startBackgroundBackup(settings, null);
    return job.status === "failed" ? { result: "failed", detail: job.error ?? job.fileName } : { result: "started", detail: job.fileName };
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return { result: "skipped", detail: error.message };
    throw error;
  }
};

/** The restore drill, handed to a background process like a backup. */
export const drillInBackground: ScheduledBackupRunner = async (settings) => {
  const backup = await newestBackup();
  if (!backup) return { result: "skipped", detail: "no completed backup to drill yet" };
  const locked = await drillLockedOut(backup.fileName, settings);
  if (locked) return { result: "skipped", detail: locked };
  try {
    const job = await startBackgroundDrill(settings, null, backup.fileName);
    return job.status === "failed" ? { result: "failed", detail: job.error ?? job.fileName } : { result: "started", detail: job.fileName };
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) return { result: "skipped", detail: error.message };
    throw error;
  }
};

export const SCHEDULER_INTERVAL_MS = 30_000;

/** Whether this portal runs the schedules: yes unless SCHEDULER=off (cron or `npm run schedule` does it then). */
export function portalRunsScheduler(env: Record<string, string | undefined> = process.env): boolean {
  return (env.SCHEDULER ?? "").trim().toLowerCase() !== "off";
}

/**
 * The portal's scheduler: looks every 30 s (one look at a time, never keeping the process alive), writes
 * its heartbeat, starts what is due. Two schedulers on one database never double a run: each slot is
 * claimed in the database before it runs (lib/schedule/slots.ts). Returns a stopper.
 */
export function startPortalScheduler(
  options: { env?: Record<string, string | undefined>; intervalMs?: number; log?: (line: string) => void } = {},
): () => void {
  const log = options.log ?? ((line: string) => console.log(line));
  const intervalMs = options.intervalMs ?? SCHEDULER_INTERVAL_MS;
  if (!portalRunsScheduler(options.env)) {
    log("scheduler: off in the portal (SCHEDULER=off); run npm run schedule or cron for scheduled backups");
    return () => {};
  }
  let looking = false;
  const look = async () => {
    if (looking) return;
    looking = true;
    try {
      await recordSchedulerHeartbeat("portal", intervalMs);
      for (const o of await tick(new Date(), runInBackground, drillInBackground)) log(`scheduler: ${o.schedule} run for ${o.slot}: ${o.result} (${o.detail})`);
    } catch (error) {
      log(`scheduler: ${(error as Error).message}`);
    } finally {
      looking = false;
    }
  };
  const timer = setInterval(() => void look(), intervalMs);
  timer.unref();
  void look();
  return () => clearInterval(timer);
}
