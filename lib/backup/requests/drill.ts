import { prisma } from "@/lib/db";
import { recordAudit } from "@/lib/audit";
import { toView, type BackupView } from "@/lib/backup/jobs/list";
import { startBackgroundDrill } from "@/lib/backup/jobs/start";
import type { Caller } from "@/lib/backup/requests/caller";
import { notFound, SafekeepError } from "@/lib/errors";
import { ArchiveKeyError, isEncryptedArchive, openArchiveSource } from "@/lib/backup/archive/archive-source";
import { portalKeys } from "@/lib/backup/crypto/keys";
import { resolveInside } from "@/lib/backup/jobs/paths";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** The backup a drill proves by default: the newest completed one. */
export function newestBackup() {
  return prisma.backup.findFirst({ where: { kind: "backup", status: "completed" }, orderBy: { id: "desc" } });
}

/**
 * Unattended drills need a key the portal holds: with public keys only the owner can open a backup, so
 * the drill is run from the command line with `--identity`, or encryption uses a passphrase.
 */
export async function drillLockedOut(fileName: string, settings: Settings): Promise<string | null> {
  const file = resolveInside(resolvedBackupDir(settings), fileName);
  if (!(await isEncryptedArchive(file).catch(() => false))) return null;
  // Whether the portal's own key opens it (a passphrase kept from an earlier mode may not).
  const source = await openArchiveSource(file, portalKeys(settings)).catch((error: Error) => error);
  if (!(source instanceof Error)) {
    await source.close();
    return null;
  }
  if (!(source instanceof ArchiveKeyError)) return null;
  return `${fileName} is encrypted to a public key and the portal holds no private key: run \`npm run backup:drill -- --identity key.txt\`, or choose passphrase encryption for unattended drills`;
}

/** Restores the newest backup into scratch places, in the background, and compares: nothing live is touched. */
export async function requestDrill({ user, actor, settings }: Caller): Promise<BackupView> {
  const backup = await newestBackup();
  if (!backup) throw notFound("There is no completed backup to drill yet");
  const locked = await drillLockedOut(backup.fileName, settings);
  if (locked) throw new SafekeepError("invalid", locked);
  const job = await startBackgroundDrill(settings, user.id, backup.fileName);
  await recordAudit(actor, "backup.drill", backup.fileName, { job: job.fileName });
  return toView(job);
}
