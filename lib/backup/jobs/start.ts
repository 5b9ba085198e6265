import { prisma, type Backup } from "@/lib/db";
import type { Settings } from "@/lib/settings";
import { enqueueBackup, enqueueDrill, enqueueRestore, enqueueVerify, markFailed, type RestoreParts } from "@/lib/backup/jobs/queue";
import { startDetached } from "@/lib/backup/jobs/spawn";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { serializeKeys } from "@/lib/backup/crypto/keys";

/** Hands a queued job to a background process; returns as soon as the process exists. */
async function handOff(job: Backup, settings: Settings, command: string, keys?: AgeKeys | null): Promise<Backup> {
  try {
    const args = keys ? [command, String(job.id), "--keys-on-stdin"] : [command, String(job.id)];
    const pid = await startDetached(settings.runtimeBinary, args, keys ? serializeKeys(keys) : undefined);
    // The worker records its own pid too; whichever lands first lets the reaper watch it.
    await prisma.backup.updateMany({ where: { id: job.id, pid: null }, data: { pid } });
  } catch (error) {
    await markFailed(job, (error as Error).message, settings);
  }
  return prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
}

/** Queues a backup and starts it in the background. Throws JobAlreadyRunningError when a job holds the slot. */
export async function startBackgroundBackup(settings: Settings, requestedById: number | null): Promise<Backup> {
  return handOff(await enqueueBackup(settings, requestedById), settings, "backup:run");
}

/** Queues a restore of `sourceFileName` and starts it in the background. */
export async function startBackgroundRestore(
  settings: Settings,
  requestedById: number | null,
  sourceFileName: string,
  parts: RestoreParts,
  options: { restoreAccounts?: boolean; keys?: AgeKeys | null } = {},
): Promise<Backup> {
  return handOff(await enqueueRestore(settings, requestedById, sourceFileName, parts, options), settings, "restore:run", options.keys);
}

/** Queues a check of an archive in the backup directory and starts it in the background. */
export async function startBackgroundVerify(settings: Settings, requestedById: number | null, fileName: string, keys?: AgeKeys | null): Promise<Backup> {
  return handOff(await enqueueVerify(settings, requestedById, fileName), settings, "job:run", keys);
}

/** Queues a restore drill of an archive and starts it in the background. */
export async function startBackgroundDrill(settings: Settings, requestedById: number | null, fileName: string): Promise<Backup> {
  return handOff(await enqueueDrill(settings, requestedById, fileName), settings, "job:run");
}
