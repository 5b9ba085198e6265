import { prisma, type Backup } from "@/lib/db";
import type { Settings } from "@/lib/settings";
import { enqueueBackup, markFailed } from "@/lib/backup/jobs";
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
