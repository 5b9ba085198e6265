import type { Backup } from "@/lib/db";
import { readLogTail } from "@/lib/backup/jobs/log";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { statusLabel } from "@/lib/backup/jobs/status";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { EXIT } from "@/lib/cli/usage";

/** 0 only for a clean run; a completed job that met something it could not keep is 2; a failed one 1. */
export function exitCodeFor(job: Backup): number {
  if (job.status !== "completed") return EXIT.failed;
  return job.warningCount > 0 ? EXIT.warnings : EXIT.ok;
}

/** The job's own warnings, as its log has them (the post-job steps' lines are reported apart). */
export async function jobWarnings(job: Backup, settings: Settings): Promise<string[]> {
  if (job.warningCount === 0) return [];
  const log = await readLogTail(jobFiles(resolvedBackupDir(settings), job.fileName).log, 512 * 1024);
  return log
    .split("\n")
    .filter((line) => /^\S+ WARN {2}/.test(line) && !line.includes(" After the job, "))
    .map((line) => line.replace(/^\S+ WARN {2}/, ""));
}

export function outcomeHeadline(job: Backup): string {
  return statusLabel(job) === "completed with warnings"
    ? `Completed with ${job.warningCount} warning${job.warningCount === 1 ? "" : "s"}`
    : job.status === "completed"
      ? "Completed"
      : `${job.status[0]!.toUpperCase()}${job.status.slice(1)}`;
}
