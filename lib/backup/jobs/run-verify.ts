import { prisma, type Backup } from "@/lib/db";
import { describeError } from "@/lib/backup/jobs/errors";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { ensurePrivateDir, jobFiles, resolveInside } from "@/lib/backup/jobs/paths";
import { ProgressReporter } from "@/lib/backup/jobs/progress";
import { markFailed } from "@/lib/backup/jobs/queue";
import { verifyInspectedArchive } from "@/lib/backup/jobs/verify-written";
import { inspectArchive, sha256OfFile } from "@/lib/backup/restore/inspect";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import { formatBytes } from "@/lib/format";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { withPortalKeys } from "@/lib/backup/crypto/keys";
import { writeFile } from "node:fs/promises";

/**
 * Runs one queued verify job: reads the archive named in `sourceFileName` back whole, as a restore would.
 * When it passes, the archive's own record becomes a completed backup (with its SHA-256, and the date its
 * manifest gives); when it fails, the archive stays "not verified" and says why.
 */
export async function runVerify(id: number, settings: Settings, keys?: AgeKeys | null): Promise<Backup> {
  const claimed = await prisma.backup.updateMany({
    where: { id, status: "queued", kind: "verify" },
    data: { status: "running", phase: "verifying", pid: process.pid, startedAt: new Date(), heartbeatAt: new Date() },
  });
  if (claimed.count === 0) throw new Error(`Verify job ${id} is not waiting to run`);
  const job = await prisma.backup.findUniqueOrThrow({ where: { id } });
  const dir = await ensurePrivateDir(resolvedBackupDir(settings));
  const log = openBackupLog(jobFiles(dir, job.fileName).log);
  const progress = new ProgressReporter(id);
  progress.start();
  const name = job.sourceFileName ?? "";
  try {
    const file = resolveInside(dir, name);
    log.info(`Verifying ${name}`);
    const openWith = withPortalKeys(keys, settings);
    // Inspected once: the entries and the manifest's records of a large archive are held once.
    const archive = await inspectArchive(file, openWith);
    let bytes: number;
    let createdAt: Date;
    try {
      progress.bytesTotal = archive.uncompressedBytes;
      createdAt = new Date(archive.manifest.createdAt);
      ({ bytes } = await verifyInspectedArchive(archive, (n) => progress.add(n)));
    } finally {
      await archive.close();
    }
    const sha256 = await sha256OfFile(file);
    await writeFile(jobFiles(dir, name).checksum, `${sha256}  ${name}\n`, { mode: 0o600 });
    await prisma.backup.updateMany({
      where: { fileName: name, status: { in: ["unverified", "completed"] } },
      data: { status: "completed", phase: "done", percent: 100, sha256, createdAt, error: null },
    });
    await progress.stop();
    log.info(`OK: every entry matches its manifest (${formatBytes(bytes)}), sha256 ${sha256}`);
    return prisma.backup.update({
      where: { id },
      data: { status: "completed", phase: "done", percent: 100, finishedAt: new Date(), exclusiveSlot: null, heartbeatAt: new Date() },
    });
  } catch (error) {
    await progress.stop();
    const message = `${name} did not pass the check: ${describeError(error)}`;
    log.error(message);
    await prisma.backup.updateMany({ where: { fileName: name, status: "unverified" }, data: { error: message } });
    await markFailed(job, message, settings);
    return prisma.backup.findUniqueOrThrow({ where: { id } });
  }
}
