import { rm, writeFile } from "node:fs/promises";
import { formatBytes } from "@/lib/format";
import { prisma, type Backup } from "@/lib/db";
import { loadSettings, type Settings } from "@/lib/settings";
import { backupConfig } from "@/lib/backup/config";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { dumperFor } from "@/lib/backup/database/registry";
import { describeError } from "@/lib/backup/jobs/errors";
import { markFailed } from "@/lib/backup/jobs/queue";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { ensurePrivateDir, jobFiles } from "@/lib/backup/jobs/paths";
import { ProgressReporter } from "@/lib/backup/jobs/progress";
import { walkRoots } from "@/lib/backup/archive/walk";
import { FileSpool } from "@/lib/backup/archive/spool";
import { holdForTests } from "@/lib/backup/jobs/test-hold";
import { verifyWrittenArchive } from "@/lib/backup/jobs/verify-written";
import type { BackupLog } from "@/lib/backup/jobs/log";
import { count, sizeWithBytes } from "@/lib/backup/jobs/log-text";
import { openRemoteOnly, REMOTE_NOT_VERIFIED, type RemoteOnlyTarget } from "@/lib/offsite/remote-only";

/**
 * The file keys of encrypted archives this process wrote, by name: a restore reads its own safety backup
 * back with it, even when the portal holds no key that opens it (public-key mode). Never stored.
 */
const writtenFileKeys = new Map<string, Buffer>();

export function fileKeyWrittenHere(fileName: string): Buffer | null {
  return writtenFileKeys.get(fileName) ?? null;
}

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

  // Read once: the job works from this, whatever the settings page saves meanwhile.
  const config = backupConfig(settings);
  const dir = config.backupDir;
  const files = jobFiles(dir, backup.fileName);
  const progress = new ProgressReporter(id);
  progress.start();
  let log = openBackupLog(files.log);
  let walkSpool: FileSpool | null = null;
  let remote: RemoteOnlyTarget | null = null;
  try {
    await ensurePrivateDir(dir);
    log.info(`Backup ${backup.fileName} started by process ${process.pid}`);
    progress.setPhase("scanning");
    const [partFile, dbWorkFile, walkFile] = files.partials;
    walkSpool = await FileSpool.create(walkFile!);
    const walk = await walkRoots(config.fileRoots, config.excludeGlobs, [dir], walkSpool);
    for (const warning of walk.warnings) log.warn(warning);
    const dumper = dumperFor(config.database);
    progress.bytesTotal = walk.totalFileBytes + (await dumper.estimateBytes());
    remote = await openRemoteOnly(backup.fileName, progress.bytesTotal);
    if (remote) log.info(`Remote-only: the archive streams to ${remote.url} as it is written, no local copy (${remote.memory})`);

    const encryptTo = config.encryptTo;
    if (encryptTo)
      log.info(
        encryptTo.keys
          ? `Encrypted (age) to ${count(encryptTo.keys.length, "public key", "public keys")} as it is written`
          : "Encrypted (age) with the passphrase as it is written",
      );
    const result = await writeBackupArchive({
      partFile,
      outFile: files.archive,
      encryptTo,
      backupName: config.backupName,
      walk,
      database: { dumper, workFile: dbWorkFile },
      level: config.level,
      sink: remote ? () => remote!.sink() : null,
      log,
      onBytes: (n) => progress.add(n),
      onPhase: (phase) => {
        progress.setPhase(phase);
        holdForTests(phase);
      },
    });
    if (result.fileKey) writtenFileKeys.set(backup.fileName, result.fileKey);
    const backedUp = progress.bytesDone;
    // Reading a remote-only archive back would download it whole: skipped, and said (a warning on the job).
    const unverified = Boolean(remote && config.verifyAfterWrite);
    if (unverified) log.warn(REMOTE_NOT_VERIFIED);
    else if (config.verifyAfterWrite) await verifyBeforeCompleting(files.archive, result.fileKey, backedUp, progress, log);
    await progress.stop();
    if (!remote) await writeFile(files.checksum, `${result.sha256}  ${backup.fileName}\n`, { mode: 0o600 });
    log.info(`Completed: ${count(result.fileCount, "file", "files")} archived, the archive is ${sizeWithBytes(result.size)}, SHA-256 ${result.sha256}`);
    // Only a job still running is completed: one cancelled meanwhile stays cancelled (its canceller removes the file).
    await prisma.backup.updateMany({
      where: { id, status: "running" },
      data: {
        status: "completed",
        phase: "done",
        percent: 100,
        bytesDone: backedUp,
        bytesTotal: backedUp,
        sizeBytes: result.size,
        sha256: result.sha256,
        warningCount: result.warnings.length + (unverified ? 1 : 0),
        finishedAt: new Date(),
        heartbeatAt: new Date(),
        exclusiveSlot: null,
      },
    });
    const done = await prisma.backup.findUniqueOrThrow({ where: { id } });
    await remote?.finish(done.status === "completed");
    return done;
  } catch (error) {
    await remote?.finish(false).catch(() => {});
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

/**
 * A backup is completed only once its own archive has been read back as a restore would read it; one
 * that fails is no backup at all (the failure says why, and the archive is removed).
 */
// An encrypted archive is read back with the file key its writer kept: that works even when the portal
// holds no key that could open it later (public-key mode).
async function verifyBeforeCompleting(archive: string, fileKey: Buffer | null, bytes: number, progress: ProgressReporter, log: BackupLog): Promise<void> {
  progress.bytesDone = 0;
  progress.bytesTotal = bytes;
  progress.setPhase("verifying");
  holdForTests("verifying");
  const started = Date.now();
  try {
    const verified = await verifyWrittenArchive(archive, fileKey ? { fileKey } : null, (n) => progress.add(n));
    log.info(`Verified: every entry read back matches its SHA-256 (${formatBytes(verified.bytes)} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    await rm(archive, { force: true });
    throw new Error(`The archive failed its check after writing, so it was removed: ${(error as Error).message}`);
  }
}
