import { prisma } from "@/lib/db";
import { keptUntilChange } from "@/lib/db-generation";
import { activeJob as activeRecord } from "@/lib/backup/jobs/queue";
import { findBackupView, listBackups, toView, type BackupView } from "@/lib/backup/jobs/list";
import { readLogTail } from "@/lib/backup/jobs/log";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { withOffsite } from "@/lib/offsite/attach";

// Reads only: no page view or GET route writes anything (the maintenance tick does the housekeeping).

/** The list page and the API's list, asked for again and again while a backup runs: kept until the database changes. */
export const listJobs = keptUntilChange(async (page: number) => {
  const list = await listBackups(page);
  return { ...list, items: await withOffsite(list.items) };
});

/** A page follows a running job by asking for it every second or so: kept until the database changes. */
export const getJob = keptUntilChange(async (id: number): Promise<BackupView | null> => {
  const view = await findBackupView(id);
  return view ? (await withOffsite([view]))[0]! : null;
});

export async function getJobByName(fileName: string): Promise<BackupView | null> {
  const row = await prisma.backup.findUnique({ where: { fileName }, include: { requestedBy: { select: { email: true } } } });
  return row ? (await withOffsite([toView(row)]))[0]! : null;
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
