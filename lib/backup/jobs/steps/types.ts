import type { Backup } from "@/lib/db";
import type { BackupLog } from "@/lib/backup/jobs/log";
import type { Settings } from "@/lib/settings";

/** One step's outcome, kept on the job (its `steps` column) and shown on the job's page. */
export interface StepRecord {
  name: string;
  state: "running" | "done" | "failed";
  detail: string;
  percent?: number;
}

export interface StepContext {
  settings: Settings;
  log: BackupLog;
  /** The outcomes of the steps before this one (the mail tells them). */
  earlier: StepRecord[];
  /** Shows how far a long step is, on the job's page. */
  progress(detail: string, percent?: number): Promise<void>;
}

/**
 * Something that follows a job once its outcome is recorded (prune old backups, copy offsite, mail).
 * A step cannot change the job's outcome: a failure is recorded on the step and shown beside the job.
 */
export interface PostJobStep {
  /** Shown on the job's page: "retention", "notify", … */
  name: string;
  /** May look things up (a step with nothing configured stays off the job's page). */
  appliesTo(job: Backup): boolean | Promise<boolean>;
  /** Returns one sentence saying what it did; throws to say why it could not. */
  run(job: Backup, context: StepContext): Promise<string>;
}
