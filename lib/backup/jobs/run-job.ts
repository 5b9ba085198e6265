import { prisma, type Backup } from "@/lib/db";
import { openBackupLog, silentLog, type BackupLog } from "@/lib/backup/jobs/log";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { runVerify } from "@/lib/backup/jobs/run-verify";
import { runDrill } from "@/lib/backup/restore/run-drill";
import { POST_JOB_STEPS } from "@/lib/backup/jobs/steps";
import type { StepRecord } from "@/lib/backup/jobs/steps/types";
import { isActive } from "@/lib/backup/jobs/status";
import { runRestore } from "@/lib/backup/restore/run-restore";
import type { RootMap } from "@/lib/backup/restore/plan";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { loadSettings, resolvedBackupDir, type Settings } from "@/lib/settings";

export interface RunJobOptions {
  settings?: Settings;
  /** Restores only; off only for disaster recovery from the CLI. */
  safetyBackup?: boolean;
  /** Restores only: archive root label → folder, from `backup:restore --map`. */
  rootMap?: RootMap;
  /** Restores, verifies, drills of encrypted archives: a key given for this job, held in memory only. */
  keys?: AgeKeys | null;
}

/**
 * The one way a job runs, for the portal's background process, the CLI, the scheduler: claim it, do its
 * work and record the outcome (the kind's runner), then the post-job steps. Returns the final record.
 */
export async function runJob(id: number, options: RunJobOptions = {}): Promise<Backup> {
  const settings = options.settings ?? (await loadSettings());
  const job = await prisma.backup.findUnique({ where: { id } });
  if (!job) throw new Error(`There is no job ${id}`);
  const ended =
    job.kind === "restore"
      ? await runRestore(id, { safetyBackup: options.safetyBackup ?? true, rootMap: options.rootMap, keys: options.keys }, settings)
      : job.kind === "verify"
        ? await runVerify(id, settings, options.keys)
        : job.kind === "drill"
          ? await runDrill(id, settings, options.keys)
          : await runBackup(id, settings);
  return finishJob(ended, settings);
}

function logFor(job: Backup, settings: Settings): BackupLog {
  try {
    return openBackupLog(jobFiles(resolvedBackupDir(settings), job.fileName).log);
  } catch {
    return silentLog;
  }
}

/**
 * Runs the post-job steps of a job that has ended, exactly once: whoever claims the job's steps (its own
 * worker right after the outcome, or the maintenance tick for a job found dead) runs them; anyone else
 * returns at once. Each step's state is written to the job as it goes, so a failed step shows on its page.
 */
export async function finishJob(job: Backup, settings: Settings): Promise<Backup> {
  if (isActive(job.status)) return job;
  const claimed = await prisma.backup.updateMany({ where: { id: job.id, steps: null }, data: { steps: "[]" } });
  if (claimed.count === 0) return (await prisma.backup.findUnique({ where: { id: job.id } })) ?? job;
  const current = (await prisma.backup.findUnique({ where: { id: job.id } })) ?? job;
  const log = (() => {
    const file = logFor(current, settings);
    // A log line must never fail a step: a vanished backup directory is the steps' problem to report.
    const safe = (write: (m: string) => void) => (m: string) => {
      try {
        write(m);
      } catch {
        // ignore
      }
    };
    return { info: safe(file.info), warn: safe(file.warn), error: safe(file.error) };
  })();
  const records: StepRecord[] = [];
  const save = () => prisma.backup.updateMany({ where: { id: job.id }, data: { steps: JSON.stringify(records) } }).catch(() => {});
  for (const step of POST_JOB_STEPS) {
    if (!(await step.appliesTo(current))) continue;
    const record: StepRecord = { name: step.name, state: "running", detail: "" };
    records.push(record);
    await save();
    try {
      record.detail = await step.run(current, {
        settings,
        log,
        earlier: records.slice(0, -1),
        progress: async (detail, percent) => {
          record.detail = detail;
          record.percent = percent;
          await save();
        },
      });
      record.state = "done";
      log.info(`After the job, ${step.name}: ${record.detail}`);
    } catch (error) {
      record.state = "failed";
      record.detail = (error as Error).message;
      log.warn(`After the job, ${step.name} failed: ${record.detail}`);
    }
    delete record.percent;
    await save();
  }
  return (await prisma.backup.findUnique({ where: { id: job.id } })) ?? current;
}

/** Jobs that ended without their steps (their worker died, or the reaper ended them): the maintenance tick's work. */
export async function finishOwedJobs(settings: Settings): Promise<number> {
  const owed = await prisma.backup.findMany({ where: { steps: null, status: { in: ["completed", "failed", "cancelled"] } }, take: 20 });
  for (const job of owed) await finishJob(job, settings);
  return owed.length;
}
