import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { backupFileNameSchema, checksumFileName, isSafetyArchive } from "@/lib/backup/jobs/names";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

async function recordedChecksum(dir: string, fileName: string): Promise<string | null> {
  const text = await fs.readFile(path.join(dir, checksumFileName(fileName)), "utf8").catch(() => "");
  return /^[0-9a-f]{64}\b/.exec(text)?.[0] ?? null;
}

/**
 * Brings the list in line with the archives on disk: an archive without a record (dropped in by hand,
 * or made after the backup that a restored portal database came from) gets one, from its manifest.
 */
export async function reindexBackupDir(settings: Settings): Promise<string[]> {
  const dir = resolvedBackupDir(settings);
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => backupFileNameSchema.safeParse(n).success);
  if (names.length === 0) return [];
  const known = new Set(
    (await prisma.backup.findMany({ where: { fileName: { in: names } }, select: { fileName: true } })).map((b) => b.fileName),
  );
  const added: string[] = [];
  for (const name of names.filter((n) => !known.has(n))) {
    const file = path.join(dir, name);
    const archive = await inspectArchive(file).catch(() => null);
    if (!archive) continue; // Not one of ours, or damaged: it stays out of the list.
    archive.close();
    const stat = await fs.stat(file);
    const createdAt = new Date(archive.manifest.createdAt);
    await prisma.backup.create({
      data: {
        fileName: name,
        kind: isSafetyArchive(name) ? "safety" : "backup",
        status: "completed",
        phase: "done",
        percent: 100,
        sizeBytes: stat.size,
        sha256: await recordedChecksum(dir, name),
        createdAt,
        finishedAt: stat.mtime,
      },
    });
    added.push(name);
  }
  return added;
}

/**
 * After the portal's own database was replaced, jobs recorded as running in it (the backup being made
 * when that copy was taken, at the least) are over: completed where their archive exists, failed otherwise.
 */
export async function settleJobsAfterPortalRestore(settings: Settings, except: number | null): Promise<void> {
  const dir = resolvedBackupDir(settings);
  const open = await prisma.backup.findMany({ where: { status: { in: ["queued", "running"] }, NOT: except ? { id: except } : undefined } });
  for (const job of open) {
    const archive = job.kind !== "restore" ? await fs.stat(path.join(dir, job.fileName)).catch(() => null) : null;
    const data: Partial<Backup> = archive
      ? { status: "completed", phase: "done", percent: 100, sizeBytes: archive.size, sha256: await recordedChecksum(dir, job.fileName) }
      : { status: "failed", error: "Interrupted: this record comes from a restored copy of the portal's database." };
    await prisma.backup.update({ where: { id: job.id }, data: { ...data, exclusiveSlot: null, finishedAt: job.finishedAt ?? new Date() } });
  }
}
