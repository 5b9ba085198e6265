import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { finishOwedJobs } from "@/lib/backup/jobs/run-job";
import { reindexBackupDir } from "@/lib/backup/restore/reindex";
import { loadSettings, type Settings } from "@/lib/settings";
import { notifyStaleBackup } from "@/lib/notify/stale-webhooks";

export interface MaintenanceReport {
  reaped: number;
  indexed: string[];
  finished: number;
  /** What the "stale" webhooks were told this tick, if anything. */
  staleNotice: string | null;
}

/**
 * The housekeeping no page view may do: jobs whose process died are ended, archives dropped into the
 * backup directory are indexed, and jobs that ended without their post-job steps (the reaper's, a killed
 * worker's) get them, mail included. Run by the portal's timer, the scheduler and each worker.
 */
export async function runMaintenance(settings?: Settings): Promise<MaintenanceReport> {
  settings ??= await loadSettings();
  const reaped = await reapStaleJobs(settings);
  const indexed = await reindexBackupDir(settings);
  const finished = await finishOwedJobs(settings);
  const staleNotice = await notifyStaleBackup(settings).catch(() => null);
  return { reaped, indexed, finished, staleNotice };
}

/**
 * The portal's background tick: one run at a time (a slow tick is skipped, not stacked), never keeping
 * the process alive. Returns a stopper.
 */
export function startMaintenanceTimer(intervalMs = 5_000, onError: (error: Error) => void = () => {}): () => void {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await runMaintenance();
    } catch (error) {
      onError(error as Error);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return () => clearInterval(timer);
}
