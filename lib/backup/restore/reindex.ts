import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { backupFileNameSchema, checksumFileName, isSafetyArchive } from "@/lib/backup/jobs/names";
import { WORKING_STATUSES } from "@/lib/backup/jobs/status";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

async function recordedChecksum(dir: string, fileName: string): Promise<string | null> {
  const text = await fs.readFile(path.join(dir, checksumFileName(fileName)), "utf8").catch(() => "");
  return /^[0-9a-f]{64}\b/.exec(text)?.[0] ?? null;
}

/** Archives found unreadable, by name, with the size and date they had then: not opened again until they change. */
const rejected = new Map<string, string>();
/** Each look opens at most this many unknown archives, so one tick stays short however many were dropped in. */
const MAX_INSPECTED_PER_LOOK = 5;

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
  let inspected = 0;
  for (const name of names.filter((n) => !known.has(n))) {
    const file = path.join(dir, name);
    const seen = await fs.stat(file).catch(() => null);
    if (!seen) continue;
    const signature = `${seen.size}:${seen.mtimeMs}`;
    if (rejected.get(name) === signature) continue;
    if (inspected++ >= MAX_INSPECTED_PER_LOOK) break;
    const archive = await inspectArchive(file).catch(() => null);
    if (!archive) {
      rejected.set(name, signature); // Not one of ours, or damaged: it stays out of the list.
      continue;
    }
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
        steps: "[]",
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
  const open = await prisma.backup.findMany({ where: { status: { in: WORKING_STATUSES }, NOT: except ? { id: except } : undefined } });
  for (const job of open) {
    const archive = job.kind !== "restore" ? await fs.stat(path.join(dir, job.fileName)).catch(() => null) : null;
    const data: Partial<Backup> = archive
      ? { status: "completed", phase: "done", percent: 100, sizeBytes: archive.size, sha256: await recordedChecksum(dir, job.fileName) }
      : { status: "failed", error: "Interrupted: this record comes from a restored copy of the portal's database." };
    await prisma.backup.update({ where: { id: job.id }, data: { ...data, exclusiveSlot: null, steps: "[]", finishedAt: job.finishedAt ?? new Date() } });
  }
}
