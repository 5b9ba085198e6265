/** What a job is, and where it stands: one spelling for every reader (pages, API, CLI, mail, reaper). */
/** `verify` reads an archive back (one dropped in by hand is listed as not verified until one passes). */
/** `drill` restores a backup into scratch places and compares: nothing live is touched. */
export const JOB_KINDS = ["backup", "safety", "restore", "verify", "drill"] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** `unverified`: an archive found in the backup directory that no check has passed yet: not downloadable, not restorable. */
export const JOB_STATUSES = ["queued", "running", "cancelling", "completed", "failed", "cancelled", "unverified"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Statuses of a job that still holds the one-job slot; `cancelling` lasts while its process tree is stopped. */
export const ACTIVE_STATUSES: JobStatus[] = ["queued", "running", "cancelling"];
/** Statuses in which a worker may still end the job itself. */
export const WORKING_STATUSES: JobStatus[] = ["queued", "running"];

export function isActive(status: string): boolean {
  return (ACTIVE_STATUSES as string[]).includes(status);
}

export function isWorking(status: string): boolean {
  return (WORKING_STATUSES as string[]).includes(status);
}

/** How a status reads to people: a completed job that met something it could not keep says so. */
export function statusLabel(job: { status: string; warningCount?: number }): string {
  if (job.status === "unverified") return "not verified";
  return job.status === "completed" && (job.warningCount ?? 0) > 0 ? "completed with warnings" : job.status;
}
