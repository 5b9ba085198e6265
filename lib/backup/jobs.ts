import { appendFileSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { archiveFileName, logFileName, partialFileNames } from "@/lib/backup/names";
import type { Settings } from "@/lib/settings";
import { resolvedBackupDir } from "@/lib/settings";
import { ensurePrivateDir } from "@/lib/backup/paths";

export const ACTIVE_SLOT = "active";
/** A running job that has not written a heartbeat for this long is taken as dead. */
export const HEARTBEAT_TIMEOUT_MS = 20_000;
/** A queued job whose process never reported in. */
export const START_TIMEOUT_MS = 30_000;

export class JobAlreadyRunningError extends Error {
  constructor(readonly active: Backup) {
    super(`Backup ${active.fileName} is already ${active.status}; wait for it to finish before starting another.`);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === "P2002";
}

/**
 * Records a backup as queued, holding the one active-job slot. The unique index on the slot makes this
 * atomic across the web server, the CLI and cron: two requests at the same instant cannot both get it.
 */
export async function enqueueBackup(settings: Settings, requestedById: number | null, kind = "backup"): Promise<Backup> {
  await reapStaleJobs(settings);
  try {
    return await prisma.$transaction(async (tx) => {
      const created = await tx.backup.create({
        data: { fileName: `pending-${crypto.randomUUID()}`, kind, requestedById, exclusiveSlot: ACTIVE_SLOT },
      });
      return tx.backup.update({
        where: { id: created.id },
        data: { fileName: archiveFileName(settings.backupName, created.createdAt, created.id) },
      });
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const active = await prisma.backup.findFirst({ where: { exclusiveSlot: ACTIVE_SLOT } });
    if (!active) throw error;
    throw new JobAlreadyRunningError(active);
  }
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
    if (reason) {
      await markFailed(job, reason, settings);
      reaped++;
    }
  }
  return reaped;
}

function tryKill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}
