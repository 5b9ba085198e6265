import { writeFile } from "node:fs/promises";
import path from "node:path";
import { prisma, type Backup } from "@/lib/db";
import { fromRoot } from "@/lib/config";
import { COMPRESSION_LEVELS, loadSettings, resolvedBackupDir, type Settings } from "@/lib/settings";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { dumperFor } from "@/lib/backup/database/registry";
import { describeError } from "@/lib/backup/jobs/errors";
import { markFailed } from "@/lib/backup/jobs/queue";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { checksumFileName, logFileName, partialFileNames } from "@/lib/backup/jobs/names";
import { ensurePrivateDir } from "@/lib/backup/jobs/paths";
import { ProgressReporter } from "@/lib/backup/jobs/progress";
import { walkRoots } from "@/lib/backup/archive/walk";
import { FileSpool } from "@/lib/backup/archive/spool";
import { holdForTests } from "@/lib/backup/jobs/test-hold";

/**
 * Runs one queued backup to the end, in this process: the background worker and `backup:create` both
 * come here. Returns the final record, completed or failed; the failure is in its `error`.
 */
export async function runBackup(id: number, settings?: Settings): Promise<Backup> {
  settings ??= await loadSettings();
  const claimed = await prisma.backup.updateMany({
    where: { id, status: "queued" },
    data: { status: "running", phase: "starting", pid: process.pid, startedAt: new Date(), heartbeatAt: new Date() },
  });
  if (claimed.count === 0) throw new Error(`Backup ${id} is not waiting to run`);
  const backup = await prisma.backup.findUniqueOrThrow({ where: { id } });

  const dir = resolvedBackupDir(settings);
  const progress = new ProgressReporter(id);
  progress.start();
  let log = openBackupLog(path.join(dir, logFileName(backup.fileName)));
  let walkSpool: FileSpool | null = null;
  try {
    await ensurePrivateDir(dir);
    log.info(`Backup ${backup.fileName} started by process ${process.pid}`);
    progress.setPhase("scanning");
    const [partFile, dbWorkFile, walkFile] = partialFileNames(backup.fileName).map((name) => path.join(dir, name));
    walkSpool = await FileSpool.create(walkFile!);
    const walk = await walkRoots(settings.fileRoots.map(fromRoot), settings.excludeGlobs, [dir], walkSpool);
    for (const warning of walk.warnings) log.warn(warning);
    const dumper = dumperFor(settings);
    progress.bytesTotal = walk.totalFileBytes + (await dumper.estimateBytes());

    const result = await writeBackupArchive({
      partFile,
      outFile: path.join(dir, backup.fileName),
      backupName: settings.backupName,
      walk,
      database: { dumper, workFile: dbWorkFile },
      level: COMPRESSION_LEVELS[settings.compression],
      log,
      onBytes: (n) => progress.add(n),
      onPhase: (phase) => {
        progress.setPhase(phase);
        holdForTests(phase);
      },
    });
    await progress.stop();
    await writeFile(path.join(dir, checksumFileName(backup.fileName)), `${result.sha256}  ${backup.fileName}\n`, { mode: 0o600 });
    log.info(`Completed: ${result.fileCount} files, ${result.size} bytes, sha256 ${result.sha256}`);
    // Only a job still running is completed: one cancelled meanwhile stays cancelled (its canceller removes the file).
    await prisma.backup.updateMany({
      where: { id, status: "running" },
      data: {
        status: "completed",
        phase: "done",
        percent: 100,
        bytesDone: progress.bytesDone,
        bytesTotal: progress.bytesDone,
        sizeBytes: result.size,
        sha256: result.sha256,
        finishedAt: new Date(),
        heartbeatAt: new Date(),
        exclusiveSlot: null,
      },
    });
    return await prisma.backup.findUniqueOrThrow({ where: { id } });
  } catch (error) {
    await progress.stop();
    const message = describeError(error);
    try {
      log.error(`Failed: ${message}`);
    } catch {
      log = { info() {}, warn() {}, error() {} };
    }
    await markFailed(backup, message, settings);
    return prisma.backup.findUniqueOrThrow({ where: { id } });
  } finally {
    await walkSpool?.dispose();
  }
}
