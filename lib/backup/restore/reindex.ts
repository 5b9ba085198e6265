import fs from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { isAgeFile } from "@/lib/backup/archive/archive-source";
import { backupFileNameSchema, checksumFileName, isSafetyArchive } from "@/lib/backup/jobs/names";
import { WORKING_STATUSES } from "@/lib/backup/jobs/status";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

async function recordedChecksum(dir: string, fileName: string): Promise<string | null> {
  const text = await fs.readFile(path.join(dir, checksumFileName(fileName)), "utf8").catch(() => "");
  return /^[0-9a-f]{64}\b/.exec(text)?.[0] ?? null;
}

/**
 * A zip starts with a local header (or, empty, its end record), an encrypted backup with age's version
 * line: a stray text file is never listed.
 */
async function looksLikeArchive(file: string): Promise<boolean> {
  const handle = await fs.open(file, "r").catch(() => null);
  if (!handle) return false;
  try {
    if (await isAgeFile(handle)) return true;
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return bytesRead === 4 && (head.equals(Buffer.from("PK\x03\x04", "latin1")) || head.equals(Buffer.from("PK\x05\x06", "latin1")));
  } finally {
    await handle.close();
  }
}

/**
 * Brings the list in line with the archives on disk: an archive without a record (dropped in by hand, or
 * copied back from elsewhere) is listed as "not verified" — never as a completed backup — until a verify
 * job (the page's Verify button, or `backup:verify`) has read it back whole. Only names and sizes are read
 * here: no archive is opened, so a tick stays cheap whatever was dropped in.
 */
export async function reindexBackupDir(settings: Settings): Promise<string[]> {
  const dir = resolvedBackupDir(settings);
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => backupFileNameSchema.safeParse(n).success);
  if (names.length === 0) return [];
  const known = new Set((await prisma.backup.findMany({ where: { fileName: { in: names } }, select: { fileName: true } })).map((b) => b.fileName));
  const added: string[] = [];
  for (const name of names.filter((n) => !known.has(n))) {
    const stat = await fs.stat(path.join(dir, name)).catch(() => null);
    if (!stat?.isFile() || !(await looksLikeArchive(path.join(dir, name)))) continue;
    await prisma.backup.create({
      data: {
        fileName: name,
        kind: isSafetyArchive(name) ? "safety" : "backup",
        status: "unverified",
        phase: "found",
        steps: "[]",
        sizeBytes: stat.size,
        createdAt: stat.mtime,
        error: "Found in the backup directory: verify it before it can be downloaded or restored.",
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
