import { prisma } from "@/lib/db";
import { activeJob as activeRecord } from "@/lib/backup/jobs/queue";
import { findBackupView, listBackups, toView, type BackupView } from "@/lib/backup/jobs/list";
import { readLogTail } from "@/lib/backup/jobs/log";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

// Reads only: no page view or GET route writes anything (the maintenance tick does the housekeeping).

export function listJobs(page: number) {
  return listBackups(page);
}

export function getJob(id: number): Promise<BackupView | null> {
  return findBackupView(id);
}

export async function getJobByName(fileName: string): Promise<BackupView | null> {
  const row = await prisma.backup.findUnique({ where: { fileName }, include: { requestedBy: { select: { email: true } } } });
  return row ? toView(row) : null;
}

/** The end of a job's log, for its page. */
export function readJobLog(job: Pick<BackupView, "fileName">, settings: Settings): Promise<string> {
  return readLogTail(jobFiles(resolvedBackupDir(settings), job.fileName).log);
}

/** The job holding the one-job slot, if any (the banner while a restore runs). */
export async function activeJob(): Promise<BackupView | null> {
  const record = await activeRecord();
  return record ? toView(record) : null;
}
