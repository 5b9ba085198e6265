import { prisma, type Backup } from "@/lib/db";
import type { Settings } from "@/lib/settings";
import { enqueueBackup, enqueueRestore, markFailed, type RestoreParts } from "@/lib/backup/jobs";
import { startDetached } from "@/lib/backup/spawn";

/**
 * Queues a backup and hands it to a background process; returns as soon as the process exists.
 * Throws JobAlreadyRunningError when another job holds the slot.
 */
export async function startBackgroundBackup(settings: Settings, requestedById: number | null): Promise<Backup> {
  const backup = await enqueueBackup(settings, requestedById);
  try {
    const pid = await startDetached(settings.runtimeBinary, ["backup:run", String(backup.id)]);
    // The worker records its own pid too; whichever lands first lets the reaper watch it.
    await prisma.backup.updateMany({ where: { id: backup.id, pid: null }, data: { pid } });
  } catch (error) {
    await markFailed(backup, (error as Error).message, settings);
  }
  return prisma.backup.findUniqueOrThrow({ where: { id: backup.id } });
}

/** Queues a restore of `sourceFileName` and hands it to a background process. */
export async function startBackgroundRestore(
  settings: Settings,
  requestedById: number | null,
  sourceFileName: string,
  parts: RestoreParts,
): Promise<Backup> {
  const job = await enqueueRestore(settings, requestedById, sourceFileName, parts);
  try {
    const pid = await startDetached(settings.runtimeBinary, ["restore:run", String(job.id)]);
    await prisma.backup.updateMany({ where: { id: job.id, pid: null }, data: { pid } });
  } catch (error) {
    await markFailed(job, (error as Error).message, settings);
  }
  return prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
}
