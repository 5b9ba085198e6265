import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { recordAudit, systemActor } from "@/lib/audit";
import { deleteBackup } from "@/lib/backup/jobs/delete";
import { jobFiles } from "@/lib/backup/jobs/paths";
import { decideRetention } from "@/lib/offsite/gfs";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

export const FAILED_RECORDS_KEPT = 20;
export const SAFETY_MIN_AGE_DAYS = 7;

const MiB = 1024 * 1024;

/** One backup local retention would delete next: the same shape as a destination's (lib/offsite/prune.ts). */
export interface LocalPruneItem {
  destinationId: "local";
  url: string;
  fileName: string;
  createdAt: string;
  sizeBytes: number;
  reason: string;
}

interface LocalPlanEntry {
  backup: Backup;
  item: LocalPruneItem;
  /** A stored offsite copy outlives the local archive: only the archive goes, the record stays for it. */
  offsiteUrl: string | null;
}

/**
 * What the backup directory's policy deletes next — keep the newest `maxBackups`, or the grandfather-
 * father-son ladder beside them, then the size cap — decided by the same function as each destination's
 * (lib/offsite/gfs.ts), so the settings page's preview is what the next run deletes. Candidates are the
 * completed, unpinned backups held here: a record whose archive is gone but whose copy is stored offsite
 * is that destination's to prune, not this one's.
 */
export async function planLocalRetention(settings: Settings, now = new Date()): Promise<LocalPlanEntry[]> {
  const completed = await prisma.backup.findMany({ where: { kind: "backup", status: "completed", pinned: false } });
  const copies = await prisma.offsiteCopy.findMany({
    where: { fileName: { in: completed.map((b) => b.fileName) }, state: { in: ["stored", "deleted"] } },
    orderBy: { updatedAt: "desc" },
  });
  const storedAt = new Map<string, string>();
  const prunedOffsite = new Set<string>();
  for (const c of copies) {
    if (c.state === "deleted") prunedOffsite.add(c.fileName);
    else if (!storedAt.has(c.fileName)) storedAt.set(c.fileName, `s3://${c.bucket}/${c.key}`);
  }
  const dir = resolvedBackupDir(settings);
  const held = (b: Backup) => fs.existsSync(jobFiles(dir, b.fileName).archive);
  // Pruned here earlier for its offsite copy, which that destination has pruned since: nothing is left to keep.
  const gone = completed.filter((b) => !storedAt.has(b.fileName) && prunedOffsite.has(b.fileName) && !held(b));
  const here = completed.filter((b) => !gone.includes(b) && (!storedAt.has(b.fileName) || held(b)));
  const { remove } = decideRetention(
    here.map((backup) => ({ fileName: backup.fileName, createdAt: backup.createdAt, sizeBytes: backup.sizeBytes ?? 0, backup })),
    { keepLast: settings.maxBackups, gfs: settings.retentionPolicy === "gfs", sizeCapBytes: settings.retentionSizeCapMb * MiB },
    now,
  );
  const doomed = [...remove, ...gone.map((backup) => ({ backup, reason: "no copy is left here or offsite" }))];
  return doomed.map(({ backup, reason }) => {
    const offsiteUrl = storedAt.get(backup.fileName) ?? null;
    return {
      backup,
      offsiteUrl,
      item: {
        destinationId: "local",
        url: path.join(settings.backupDir, backup.fileName),
        fileName: backup.fileName,
        createdAt: backup.createdAt.toISOString(),
        sizeBytes: backup.sizeBytes ?? 0,
        reason: offsiteUrl ? `${reason}; the copy at ${offsiteUrl} stays` : reason,
      },
    };
  });
}

/**
 * Applies the backup directory's policy (planLocalRetention) and deletes the archives, logs and records it
 * names; a backup with a stored offsite copy loses only its local archive. Failed records are counted
 * apart (the newest few kept, for their errors); safety backups made before restores are counted apart
 * too and kept at least a week, the newest one always. Returns the names deleted.
 */
export async function applyRetention(settings: Settings, now = new Date()): Promise<string[]> {
  const newestFirst = { orderBy: [{ createdAt: "desc" as const }, { id: "desc" as const }] };
  const plan = await planLocalRetention(settings, now);
  const failed = await prisma.backup.findMany({ where: { kind: "backup", status: { in: ["failed", "cancelled"] } }, ...newestFirst });
  const safety = await prisma.backup.findMany({ where: { kind: "safety", status: "completed", pinned: false }, ...newestFirst });
  const weekAgo = now.getTime() - SAFETY_MIN_AGE_DAYS * 24 * 3600 * 1000;

  const deleted: string[] = [];
  for (const { backup, offsiteUrl } of plan) {
    if (offsiteUrl) {
      const files = jobFiles(resolvedBackupDir(settings), backup.fileName);
      for (const file of [files.archive, files.checksum]) await fsp.rm(file, { force: true });
    } else {
      await deleteBackup(backup, settings);
    }
    await recordAudit(systemActor, "backup.retention-delete", backup.fileName, {
      kind: backup.kind,
      status: backup.status,
      ...(offsiteUrl ? { offsiteKept: offsiteUrl } : {}),
    });
    deleted.push(backup.fileName);
  }
  for (const backup of [...failed.slice(FAILED_RECORDS_KEPT), ...safety.slice(1).filter((b) => b.createdAt.getTime() < weekAgo)]) {
    await deleteBackup(backup, settings);
    await recordAudit(systemActor, "backup.retention-delete", backup.fileName, { kind: backup.kind, status: backup.status });
    deleted.push(backup.fileName);
  }
  return deleted;
}
