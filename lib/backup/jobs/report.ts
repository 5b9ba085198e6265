import type { Backup } from "@/lib/db";
import { readLogTail } from "@/lib/backup/jobs/log";
import { jobFiles } from "@/lib/backup/jobs/paths";
import type { StepRecord } from "@/lib/backup/jobs/steps/types";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** Everything a notification says about a job, gathered by the engine so mail never reads engine files. */
export interface JobReport {
  job: Backup;
  logTail: string;
  steps: StepRecord[];
}

export async function jobReport(job: Backup, settings: Settings, steps: StepRecord[] = parseSteps(job.steps)): Promise<JobReport> {
  return { job, logTail: await readLogTail(jobFiles(resolvedBackupDir(settings), job.fileName).log, 16 * 1024), steps };
}

export function parseSteps(json: string | null): StepRecord[] {
  if (!json) return [];
  try {
    const value = JSON.parse(json) as unknown;
    return Array.isArray(value) ? (value as StepRecord[]) : [];
  } catch {
    return [];
  }
}
