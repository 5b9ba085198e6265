import { prisma, type Backup } from "@/lib/db";
import { recordAudit, systemActor } from "@/lib/audit";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import type { Settings } from "@/lib/settings";

export const FAILED_RECORDS_KEPT = 20;
export const SAFETY_MIN_AGE_DAYS = 7;

/**
 * Keeps the newest `maxBackups` completed, unpinned backups and deletes older ones (archive, log,
 * record). Failed records are counted apart (the newest few kept, for their errors); safety backups
 * made before restores are counted apart too and kept at least a week, the newest one always.
 * Returns the names deleted.
 */
export async function applyRetention(settings: Settings, now = new Date()): Promise<string[]> {
  const newestFirst = { orderBy: [{ createdAt: "desc" as const }, { id: "desc" as const }] };
  const completed = await prisma.backup.findMany({ where: { kind: "backup", status: "completed", pinned: false }, ...newestFirst });
  const failed = await prisma.backup.findMany({ where: { kind: "backup", status: { in: ["failed", "cancelled"] } }, ...newestFirst });
  const safety = await prisma.backup.findMany({ where: { kind: "safety", status: "completed", pinned: false }, ...newestFirst });
  const weekAgo = now.getTime() - SAFETY_MIN_AGE_DAYS * 24 * 3600 * 1000;

  const doomed: Backup[] = [
    ...completed.slice(settings.maxBackups),
    ...failed.slice(FAILED_RECORDS_KEPT),
    ...safety.slice(1).filter((b) => b.createdAt.getTime() < weekAgo),
  ];
  const deleted: string[] = [];
  for (const backup of doomed) {
    await deleteBackup(backup, settings);
    await recordAudit(systemActor, "backup.retention-delete", backup.fileName, { kind: backup.kind, status: backup.status });
    deleted.push(backup.fileName);
  }
  return deleted;
}
