import fs from "node:fs/promises";
import { prisma, type Backup } from "@/lib/db";
import { archiveFileName, drillJobName, restoreJobName, SAFETY_SUFFIX, verifyJobName } from "@/lib/backup/jobs/names";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { ensurePrivateDir, jobFiles } from "@/lib/backup/jobs/paths";
import { WORKING_STATUSES, type JobKind } from "@/lib/backup/jobs/status";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { isRunning } from "@/lib/backup/jobs/process-tree";
import { SafekeepError } from "@/lib/errors";

export const ACTIVE_SLOT = "active";
/** A running job that has not written a heartbeat for this long is taken as dead. */
export const HEARTBEAT_TIMEOUT_MS = 20_000;
/** A queued job whose process never reported in. */
export const START_TIMEOUT_MS = 30_000;

export class JobAlreadyRunningError extends SafekeepError {
  constructor(readonly active: Backup) {
    super(
      "busy",
      active.kind === "restore"
        ? `A restore (${active.fileName}) is ${active.status}; backups and restores wait until it ends.`
        : `Backup ${active.fileName} is already ${active.status}; wait for it to finish before starting another.`,
    );
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/** Why the job holding the slot is dead, or null while it may still be alive. */
export function deathOf(job: Backup, now = Date.now()): string | null {
  const heartbeat = (job.heartbeatAt ?? job.createdAt).getTime();
  if (job.status === "running" && job.pid && !isRunning(job.pid)) {
    return "The background process stopped unexpectedly (it was killed or crashed); the partial archive was removed.";
  }
  if (job.status === "running" && now - heartbeat > HEARTBEAT_TIMEOUT_MS) {
    return `The background process stopped reporting progress for ${Math.round((now - heartbeat) / 1000)} s; it was taken as dead.`;
  }
  if (job.status === "queued" && now - job.createdAt.getTime() > START_TIMEOUT_MS) {
    return "The background process never started: check the runtime binary path in settings.";
  }
  return null;
}

/**
 * Records a job as queued, holding the one active-job slot. The unique index on the slot makes this
 * atomic across the web server, the CLI and cron: two requests at the same instant cannot both get it.
 * A slot held by a dead backup is freed first (marked failed; its mail is the maintenance tick's job, so
 * a click never sends the mail of somebody else's job).
 */
async function enqueueJob(
  settings: Settings,
  kind: JobKind,
  requestedById: number | null,
  nameFor: (createdAt: Date, id: number) => string,
  extra: { sourceFileName?: string; restoreParts?: string; restoreAccounts?: boolean } = {},
): Promise<Backup> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await prisma.$transaction(async (tx) => {
        const created = await tx.backup.create({
          data: { fileName: `pending-${crypto.randomUUID()}`, kind, requestedById, exclusiveSlot: ACTIVE_SLOT, ...extra },
        });
        return tx.backup.update({ where: { id: created.id }, data: { fileName: nameFor(created.createdAt, created.id) } });
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const active = await activeJob();
      if (!active) continue;
      // A dead restore needs the reaper's explanation of what it left; only plain dead backups are freed here.
      const death = active.kind !== "restore" && active.status !== "cancelling" ? deathOf(active) : null;
      if (!death || attempt > 0) throw new JobAlreadyRunningError(active);
      await markFailed(active, death, settings);
    }
  }
}

export function enqueueBackup(settings: Settings, requestedById: number | null, kind: JobKind = "backup"): Promise<Backup> {
  return enqueueJob(settings, kind, requestedById, (createdAt, id) => archiveFileName(settings.backupName, createdAt, id, settings.encryption !== "off"));
}

export type RestoreParts = "both" | "database" | "files";

export function enqueueRestore(
  settings: Settings,
  requestedById: number | null,
  sourceFileName: string,
  parts: RestoreParts,
  options: { restoreAccounts?: boolean } = {},
): Promise<Backup> {
  return enqueueJob(settings, "restore", requestedById, (createdAt, id) => restoreJobName(createdAt, id), {
    sourceFileName,
    restoreParts: parts,
    restoreAccounts: options.restoreAccounts ?? false,
  });
}

/** A check of an archive already in the backup directory (`sourceFileName`), run as a job with its own log. */
export function enqueueVerify(settings: Settings, requestedById: number | null, sourceFileName: string): Promise<Backup> {
  return enqueueJob(settings, "verify", requestedById, (createdAt, id) => verifyJobName(createdAt, id), { sourceFileName });
}

/** A restore drill of `sourceFileName` into scratch places. */
export function enqueueDrill(settings: Settings, requestedById: number | null, sourceFileName: string): Promise<Backup> {
  return enqueueJob(settings, "drill", requestedById, (createdAt, id) => drillJobName(createdAt, id), { sourceFileName });
}

/** A safety backup runs inside a restore, under the restore's slot, so it holds none itself. */
export async function createSafetyBackupRecord(settings: Settings, requestedById: number | null): Promise<Backup> {
  const created = await prisma.backup.create({ data: { fileName: `pending-${crypto.randomUUID()}`, kind: "safety", requestedById } });
  return prisma.backup.update({
    where: { id: created.id },
    data: { fileName: archiveFileName(`${settings.backupName}${SAFETY_SUFFIX}`, created.createdAt, created.id, settings.encryption !== "off") },
  });
}

export function activeJob(): Promise<Backup | null> {
  return prisma.backup.findFirst({ where: { exclusiveSlot: ACTIVE_SLOT } });
}

async function removeLeftovers(backup: Backup, dir: string, alsoArchive: boolean): Promise<void> {
  const files = jobFiles(dir, backup.fileName);
  for (const file of alsoArchive ? [...files.partials, files.archive] : files.partials) await fs.rm(file, { force: true });
}

/**
 * A backup that did not complete has no copies: a remote-only one whose process died (killed, cancelled)
 * leaves its copy record "uploading". Its unfinished multipart upload stays in the bucket until the
 * bucket's lifecycle rule for incomplete uploads removes it.
 */
async function forgetOffsiteCopies(backup: Backup): Promise<void> {
  if (backup.kind === "backup") await prisma.offsiteCopy.deleteMany({ where: { fileName: backup.fileName } });
}

/** For lines written by whoever ends a job that is not its own (canceller, reaper): the same writer as the job's. */
function appendToJobLog(dir: string, backup: Backup, level: "warn" | "error", message: string): void {
  try {
    openBackupLog(jobFiles(dir, backup.fileName).log)[level](message);
  } catch {
    // The directory itself may be what failed.
  }
}

/**
 * Ends a job being cancelled once its process is gone: frees the slot and removes everything it wrote,
 * the finished archive too if it got that far (a cancelled backup is not listed as one).
 */
export async function markCancelled(backup: Backup, settings: Settings): Promise<void> {
  const dir = resolvedBackupDir(settings);
  const ended = await prisma.backup.updateMany({
    where: { id: backup.id, status: "cancelling" },
    data: { status: "cancelled", exclusiveSlot: null, finishedAt: new Date(), steps: "[]" },
  });
  if (ended.count === 0) return;
  await removeLeftovers(backup, dir, true);
  await forgetOffsiteCopies(backup);
  // A job cancelled before its worker ran has no log yet, maybe not even a directory: its log says why.
  await ensurePrivateDir(dir).catch(() => {});
  appendToJobLog(dir, backup, "warn", `${backup.error ?? "Cancelled"}; partial files removed.`);
}

/**
 * Ends a job as failed, frees the slot and removes whatever it left half-written. Its post-job steps
 * (the failure mail) stay owed: `runJob` runs them at once, the maintenance tick for a job found dead.
 */
export async function markFailed(backup: Backup, message: string, settings: Settings): Promise<void> {
  const dir = resolvedBackupDir(settings);
  const ended = await prisma.backup.updateMany({
    where: { id: backup.id, status: { in: WORKING_STATUSES } },
    data: { status: "failed", error: message, exclusiveSlot: null, finishedAt: new Date() },
  });
  await removeLeftovers(backup, dir, false);
  if (ended.count) await forgetOffsiteCopies(backup);
  appendToJobLog(dir, backup, "error", message);
}
