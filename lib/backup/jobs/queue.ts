import { appendFileSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { archiveFileName, logFileName, partialFileNames, restoreJobName, SAFETY_SUFFIX } from "@/lib/backup/jobs/names";
import type { Settings } from "@/lib/settings";
import { resolvedBackupDir } from "@/lib/settings";
import { ensurePrivateDir } from "@/lib/backup/jobs/paths";
import { notifyJobEnded } from "@/lib/mail/notify";
import { cleanUpDeadRestore, RESTORE_CHANGING_PHASES } from "@/lib/backup/restore/paths";
import { removeStaleCredentials } from "@/lib/backup/database/credentials-file";

export const ACTIVE_SLOT = "active";
/** A running job that has not written a heartbeat for this long is taken as dead. */
export const HEARTBEAT_TIMEOUT_MS = 20_000;
/** A queued job whose process never reported in. */
export const START_TIMEOUT_MS = 30_000;

export class JobAlreadyRunningError extends Error {
  constructor(readonly active: Backup) {
    super(
      active.kind === "restore"
        ? `A restore (${active.fileName}) is ${active.status}; backups and restores wait until it ends.`
        : `Backup ${active.fileName} is already ${active.status}; wait for it to finish before starting another.`,
    );
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/**
 * Records a job as queued, holding the one active-job slot. The unique index on the slot makes this
 * atomic across the web server, the CLI and cron: two requests at the same instant cannot both get it.
 */
async function enqueueJob(
  settings: Settings,
  kind: string,
  requestedById: number | null,
  nameFor: (createdAt: Date, id: number) => string,
  extra: { sourceFileName?: string; restoreParts?: string } = {},
): Promise<Backup> {
  await reapStaleJobs(settings);
  try {
    return await prisma.$transaction(async (tx) => {
      const created = await tx.backup.create({
        data: { fileName: `pending-${crypto.randomUUID()}`, kind, requestedById, exclusiveSlot: ACTIVE_SLOT, ...extra },
      });
      return tx.backup.update({ where: { id: created.id }, data: { fileName: nameFor(created.createdAt, created.id) } });
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const active = await prisma.backup.findFirst({ where: { exclusiveSlot: ACTIVE_SLOT } });
    if (!active) throw error;
    throw new JobAlreadyRunningError(active);
  }
}

export function enqueueBackup(settings: Settings, requestedById: number | null, kind = "backup"): Promise<Backup> {
  return enqueueJob(settings, kind, requestedById, (createdAt, id) => archiveFileName(settings.backupName, createdAt, id));
}

export type RestoreParts = "both" | "database" | "files";

export function enqueueRestore(settings: Settings, requestedById: number | null, sourceFileName: string, parts: RestoreParts): Promise<Backup> {
  return enqueueJob(settings, "restore", requestedById, (createdAt, id) => restoreJobName(createdAt, id), {
    sourceFileName,
    restoreParts: parts,
  });
}

/** A safety backup runs inside a restore, under the restore's slot, so it holds none itself. */
export async function createSafetyBackupRecord(settings: Settings, requestedById: number | null): Promise<Backup> {
  const created = await prisma.backup.create({ data: { fileName: `pending-${crypto.randomUUID()}`, kind: "safety", requestedById } });
  return prisma.backup.update({
    where: { id: created.id },
    data: { fileName: archiveFileName(`${settings.backupName}${SAFETY_SUFFIX}`, created.createdAt, created.id) },
  });
}

export function activeJob(): Promise<Backup | null> {
  return prisma.backup.findFirst({ where: { exclusiveSlot: ACTIVE_SLOT } });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed child that nobody has waited for yet still answers kill(0): count a zombie as dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return true;
  }
}

/** Statuses of a job that still holds the slot; `cancelling` lasts while its process tree is stopped. */
export const OPEN_STATUSES = ["queued", "running", "cancelling"];

async function removeLeftovers(backup: Backup, dir: string, alsoArchive: boolean): Promise<void> {
  const names = alsoArchive ? [...partialFileNames(backup.fileName), backup.fileName] : partialFileNames(backup.fileName);
  for (const name of names) {
    await fs.rm(path.join(dir, name), { force: true });
  }
}

function appendToLog(dir: string, backup: Backup, level: string, message: string): void {
  try {
    appendFileSync(path.join(dir, logFileName(backup.fileName)), `${new Date().toISOString()} ${level} ${message}\n`, {
      mode: 0o600,
    });
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
    data: { status: "cancelled", exclusiveSlot: null, finishedAt: new Date() },
  });
  if (ended.count === 0) return;
  await removeLeftovers(backup, dir, true);
  // A job cancelled before its worker ran has no log yet, maybe not even a directory: its log says why.
  await ensurePrivateDir(dir).catch(() => {});
  appendToLog(dir, backup, "WARN ", `${backup.error ?? "Cancelled"}; partial files removed.`);
}

/** Ends a job as failed, frees the slot and removes whatever it left half-written. */
export async function markFailed(backup: Backup, message: string, settings: Settings): Promise<void> {
  const dir = resolvedBackupDir(settings);
  await prisma.backup.updateMany({
    where: { id: backup.id, status: { in: ["queued", "running"] } },
    data: { status: "failed", error: message, exclusiveSlot: null, finishedAt: new Date() },
  });
  await removeLeftovers(backup, dir, false);
  appendToLog(dir, backup, "ERROR", message);
}

/**
 * Finds jobs whose process died (killed, crashed, machine restarted) and marks them failed, so a dead
 * worker never holds the slot or shows a progress bar forever. Called before every read that shows jobs.
 */
export async function reapStaleJobs(settings: Settings, now = Date.now()): Promise<number> {
  await removeStaleCredentials();
  const open = await prisma.backup.findMany({ where: { status: { in: OPEN_STATUSES } } });
  let reaped = 0;
  for (const job of open) {
    const heartbeat = (job.heartbeatAt ?? job.createdAt).getTime();
    if (job.status === "cancelling") {
      // Its canceller stopped before finishing (the portal restarted): finish for it once the process is gone.
      const alive = job.pid ? isProcessAlive(job.pid) : false;
      if (alive && now - heartbeat <= HEARTBEAT_TIMEOUT_MS) continue;
      if (alive) tryKill(job.pid!);
      await markCancelled(job, settings);
      reaped++;
      continue;
    }
    let reason: string | null = null;
    if (job.status === "running" && job.pid && !isProcessAlive(job.pid)) {
      reason = "The background process stopped unexpectedly (it was killed or crashed); the partial archive was removed.";
    } else if (job.status === "running" && now - heartbeat > HEARTBEAT_TIMEOUT_MS) {
      reason = `The background process stopped reporting progress for ${Math.round((now - heartbeat) / 1000)} s; it was taken as dead.`;
      if (job.pid) tryKill(job.pid);
    } else if (job.status === "queued" && now - job.createdAt.getTime() > START_TIMEOUT_MS) {
      reason = "The background process never started: check the runtime binary path in settings.";
    }
    if (reason && job.kind === "restore") reason = await explainDeadRestore(job, reason, settings);
    if (reason) {
      await markFailed(job, reason, settings);
      // The worker died before it could tell anyone: the reaper sends its failure mail instead.
      const failed = await prisma.backup.findUnique({ where: { id: job.id } });
      if (failed && job.kind !== "safety") await notifyJobEnded(failed, settings);
      reaped++;
    }
  }
  return reaped;
}

/** A restore that died may have changed live data: say what is left and which safety backup to use. */
async function explainDeadRestore(job: Backup, reason: string, settings: Settings): Promise<string> {
  const kept = await cleanUpDeadRestore(settings, job.id);
  if (!RESTORE_CHANGING_PHASES.includes(job.phase)) return `${reason} Nothing had been changed yet.`;
  const previous = kept.length ? ` The previous files are kept in ${kept.join(", ")}.` : "";
  return `${reason} It stopped while replacing data (${job.phase}): the database and files may be half restored. Restore the safety backup ${job.safetyFileName ?? "(none was made)"} to go back.${previous}`;
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
