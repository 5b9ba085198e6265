import { fetchFromOffsiteIfMissing } from "@/lib/offsite/fetch-missing";
import fs from "node:fs/promises";
import path from "node:path";
import { portalDatabaseFile } from "@/lib/config";
import { prisma, type Backup } from "@/lib/db";
import { loadSettings, resolvedBackupDir, type Settings } from "@/lib/settings";
import { describeError } from "@/lib/backup/jobs/errors";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { ArchiveRejectedError, inspectArchive, sha256OfFile } from "@/lib/backup/restore/inspect";
import { createSafetyBackupRecord, markFailed, type RestoreParts } from "@/lib/backup/jobs/queue";
import { isPortalDatabase, loadDatabase, vetStagedDump } from "@/lib/backup/database/registry";
import { openBackupLog, type BackupLog } from "@/lib/backup/jobs/log";
import { describeEntries } from "@/lib/backup/jobs/log-text";
import { formatBytes } from "@/lib/format";
import { checksumFileName, logFileName } from "@/lib/backup/jobs/names";
import { ensurePrivateDir, resolveInside } from "@/lib/backup/jobs/paths";
import { ProgressReporter } from "@/lib/backup/jobs/progress";
import { reindexBackupDir, settleJobsAfterPortalRestore } from "@/lib/backup/restore/reindex";
import { planRestore, type RestorePlan } from "@/lib/backup/restore/plan";
import { fileKeyWrittenHere, runBackup } from "@/lib/backup/jobs/run-backup";
import type { AgeKeys } from "@/lib/backup/crypto/age";
import { withPortalKeys } from "@/lib/backup/crypto/keys";
import { holdForTests } from "@/lib/backup/jobs/test-hold";
import { keepPortalState } from "@/lib/backup/restore/portal-state";
import { asideDirFor, stagedDatabaseFile, stagingDirFor } from "@/lib/backup/restore/paths";
import type { RootMap } from "@/lib/backup/restore/plan";
import { resolveRootTarget, swapTreeIn, undoSwap, type SwapJournal } from "@/lib/backup/restore/swap";
import type { ManifestRoot } from "@/lib/backup/archive/manifest";

export interface RestoreOptions {
  /** Off only for disaster recovery from the CLI, when there is nothing left worth keeping. */
  safetyBackup: boolean;
  /** Archive root label → folder, for roots the configuration does not have (`backup:restore --map`). */
  rootMap?: RootMap;
  /** For an encrypted archive: the key given for this job (held in memory only), beside the portal's own passphrase. */
  keys?: AgeKeys | null;
}

/** The archive a job restores: a name in the backup directory, or (from the CLI only) an absolute path. */
export function restoreSourcePath(settings: Settings, source: string): string {
  return path.isAbsolute(source) ? source : resolveInside(resolvedBackupDir(settings), source);
}

/** The SHA-256 recorded when the archive was made: in its record, or in the checksum file beside it. */
async function expectedChecksum(archiveFile: string, settings: Settings): Promise<string | null> {
  if (path.dirname(archiveFile) === resolvedBackupDir(settings)) {
    const record = await prisma.backup.findUnique({ where: { fileName: path.basename(archiveFile) } }).catch(() => null);
    if (record?.sha256) return record.sha256;
  }
  const sidecar = await fs.readFile(path.join(path.dirname(archiveFile), checksumFileName(path.basename(archiveFile))), "utf8").catch(() => "");
  return /^[0-9a-f]{64}\b/.exec(sidecar)?.[0] ?? null;
}

interface Staged {
  plan: RestorePlan;
  databaseFile: string | null;
  roots: { label: string; target: string; staged: string; aside: string; journal: SwapJournal | null }[];
}

/**
 * Runs one queued restore to the end, in this process. Order of work: verify the whole archive into
 * staging places (nothing live is touched), make a safety backup of the current state, load the
 * database, swap the file trees in; if anything fails after the first change, put back the previous
 * state (old trees kept aside, database from the safety backup) and say so.
 */
export async function runRestore(id: number, options: RestoreOptions = { safetyBackup: true }, settings?: Settings): Promise<Backup> {
  settings ??= await loadSettings();
  const claimed = await prisma.backup.updateMany({
    where: { id, status: "queued", kind: "restore" },
    data: { status: "running", phase: "verifying", pid: process.pid, startedAt: new Date(), heartbeatAt: new Date() },
  });
  if (claimed.count === 0) throw new Error(`Restore ${id} is not waiting to run`);
  let job = await prisma.backup.findUniqueOrThrow({ where: { id } });
  const dir = await ensurePrivateDir(resolvedBackupDir(settings));
  const log = openBackupLog(path.join(dir, logFileName(job.fileName)));
  const parts = (job.restoreParts ?? "both") as RestoreParts;
  const progress = new ProgressReporter(id);
  progress.start();
  const staged: Staged = { plan: { database: null, roots: [], problems: [] }, databaseFile: null, roots: [] };
  let touchedDatabase = false;
  let safety: Backup | null = null;
  let archiveRoots = new Map<string, ManifestRoot>();

  try {
    const archiveFile = restoreSourcePath(settings, job.sourceFileName ?? "");
    const fetched = path.isAbsolute(job.sourceFileName ?? "") ? null : await fetchFromOffsiteIfMissing(job.sourceFileName ?? "", settings);
    if (fetched) log.info(`The local archive was gone: fetched from ${fetched}, SHA-256 checked`);
    log.info(`Restore of ${parts === "both" ? "database and files" : parts} from ${archiveFile}`);
    progress.setPhase("verifying");
    const expected = await expectedChecksum(archiveFile, settings);
    const actual = await sha256OfFile(archiveFile).catch((e: Error) => {
      throw new ArchiveRejectedError(`The archive cannot be read: ${describeError(e)}`);
    });
    if (expected && expected !== actual) {
      throw new ArchiveRejectedError("The archive's SHA-256 does not match the one recorded when it was made: it is damaged or was altered");
    }
    log.info(expected ? `Archive SHA-256 matches the record (${actual})` : `No recorded SHA-256; archive is ${actual}`);

    const archive = await inspectArchive(archiveFile, withPortalKeys(options.keys, settings));
    if (archive.source.encrypted) log.info("The archive is encrypted: it is decrypted as it is read, with no plaintext copy on disk");
    archiveRoots = new Map(archive.manifest.source.fileRoots.map((r) => [r.label, r]));
    try {
      staged.plan = planRestore(archive, settings, parts, options.rootMap);
      if (staged.plan.problems.length) throw new ArchiveRejectedError(staged.plan.problems.join("; "));
      progress.bytesTotal = archive.uncompressedBytes * 2;
      staged.databaseFile = staged.plan.database ? stagedDatabaseFile(settings, id) : null;
      const backupDir = await fs.realpath(resolvedBackupDir(settings));
      for (const root of staged.plan.roots) {
        const target = await resolveRootTarget(root.target);
        if (target === backupDir || target.startsWith(backupDir + path.sep)) {
          throw new ArchiveRejectedError(`The folder ${root.target} is the backup directory or lies inside it: it cannot be restored into`);
        }
        const twin = staged.roots.find((r) => r.target === target);
        if (twin) throw new ArchiveRejectedError(`The folders ${twin.label} and ${root.label} of the backup would both be restored into ${target}`);
        staged.roots.push({
          label: root.label,
          target,
          staged: stagingDirFor(target, id, root.label),
          aside: asideDirFor(target, id, root.label),
          journal: null,
        });
      }
      const stageDirs = new Map<string, string>();
      for (const root of staged.roots) {
        await fs.rm(root.staged, { recursive: true, force: true });
        await fs.mkdir(path.dirname(root.staged), { recursive: true });
        await fs.mkdir(root.staged, { mode: 0o700 });
        stageDirs.set(root.label, root.staged);
      }
      await verifyAndStage(archive, { fileRoots: stageDirs, databaseFile: staged.databaseFile, onBytes: (n) => progress.add(n) });
    } finally {
      await archive.close();
    }
    log.info(
      `Every entry matches the manifest: ${describeEntries(archive.summary.files, archive.summary.directories + archive.summary.symlinks)}${archive.manifest.database ? " and the database dump" : ""}, ${formatBytes(archive.uncompressedBytes)} in all`,
    );
    if (staged.plan.database && staged.databaseFile) await vetStagedDump(staged.plan.database.target, staged.databaseFile, settings);

    if (options.safetyBackup) {
      progress.setPhase("safety-backup");
      await progress.flush();
      holdForTests("safety-backup");
      safety = await createSafetyBackupRecord(settings, job.requestedById);
      await prisma.backup.update({ where: { id }, data: { safetyFileName: safety.fileName } });
      log.info(`Making the safety backup ${safety.fileName}`);
      safety = await runBackup(safety.id, settings);
      if (safety.status !== "completed") throw new Error(`Could not make the safety backup (${safety.error}); nothing was changed`);
      log.info(`Safety backup ${safety.fileName} completed`);
    }

    // One atomic step past the point of no return: a cancel either came first (and we stop here) or is refused.
    const firstChange = staged.plan.database ? "restoring-database" : "restoring-files";
    const passed = await prisma.backup.updateMany({ where: { id, status: "running" }, data: { phase: firstChange } });
    if (passed.count === 0) throw new Error("Cancelled before anything was replaced");

    if (staged.plan.database && staged.databaseFile) {
      progress.setPhase("restoring-database");
      log.info(`Loading the database into ${staged.plan.database.description}`);
      touchedDatabase = true;
      // The snapshot that is put back if the portal's own database is the one replaced.
      job = await prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
      keepPortalStateIfOwn(staged.plan, staged.databaseFile, job.restoreAccounts, log);
      await loadDatabase(staged.plan.database.target, staged.databaseFile, settings, (n) => progress.add(n));
      job = await afterDatabaseLoad(job, settings, staged.plan);
      log.info("Database restored");
    }

    progress.setPhase("restoring-files");
    await progress.flush();
    holdForTests("restoring-files");
    // The backup directory is never moved or replaced, even inside a root: the safety backup is there.
    const keep = [await fs.realpath(resolvedBackupDir(settings))];
    for (const root of staged.roots) {
      const meta = archiveRoots.get(root.label);
      root.journal = await swapTreeIn(root.target, root.staged, root.aside, keep, meta);
      log.info(`Files restored into ${root.target}`);
    }

    progress.setPhase("finalizing");
    for (const root of staged.roots) {
      await fs.rm(root.aside, { recursive: true, force: true });
      // Empty by now, but for a staged copy of a folder that is kept (the backup directory).
      await fs.rm(root.staged, { recursive: true, force: true });
    }
    if (staged.databaseFile) await fs.rm(staged.databaseFile, { force: true });
    await progress.stop();
    await reindexBackupDir(settings);
    log.info("Restore completed");
    return await prisma.backup.update({
      where: { id: job.id },
      data: { status: "completed", phase: "done", percent: 100, finishedAt: new Date(), exclusiveSlot: null, heartbeatAt: new Date() },
    });
  } catch (error) {
    await progress.stop();
    let message = describeError(error);
    log.error(message);
    const changed = touchedDatabase || staged.roots.some((r) => r.journal);
    if (changed) message = await rollBack(message, staged, touchedDatabase, safety, settings, log, job);
    await cleanUpStaging(staged);
    job = (await prisma.backup.findUnique({ where: { id: job.id } })) ?? job;
    await markFailed(job, message, settings);
    return (await prisma.backup.findUnique({ where: { id: job.id } })) ?? { ...job, status: "failed", error: message };
  }
}

/** The portal's own database keeps today's history, settings and (unless asked) accounts through a restore. */
function keepPortalStateIfOwn(plan: RestorePlan, stagedFile: string, restoreAccounts: boolean, log: BackupLog): void {
  if (!plan.database?.isPortal) return;
  const kept = keepPortalState(stagedFile, portalDatabaseFile(), { restoreAccounts });
  log.info(`The portal's own database: kept today's ${kept.join(", ")}${restoreAccounts ? "; accounts restored from the backup as asked" : ""}`);
}

/** The portal's own database was replaced: this job's record came back as it was a moment ago; bring it up to date. */
async function afterDatabaseLoad(job: Backup, settings: Settings, plan: RestorePlan): Promise<Backup> {
  const target = plan.database!.target;
  if (!isPortalDatabase(target)) return job;
  await settleJobsAfterPortalRestore(settings, job.id);
  const existing = await prisma.backup.findUnique({ where: { id: job.id } });
  const { id, requestedById, ...rest } = job;
  const requester = requestedById !== null && (await prisma.user.findUnique({ where: { id: requestedById } })) ? requestedById : null;
  const restored =
    existing && existing.fileName === job.fileName
      ? await prisma.backup.update({ where: { id }, data: { ...rest, requestedById: requester } })
      : await prisma.backup.create({ data: { ...(existing ? rest : job), id, requestedById: requester } });
  await reindexBackupDir(settings);
  return restored;
}

async function rollBack(
  failure: string,
  staged: Staged,
  touchedDatabase: boolean,
  safety: Backup | null,
  settings: Settings,
  log: BackupLog,
  job: Backup,
): Promise<string> {
  const problems: string[] = [];
  for (const root of staged.roots.filter((r) => r.journal)) {
    try {
      await undoSwap(root.journal!);
      log.info(`Put back the previous files of ${root.target}`);
    } catch (error) {
      problems.push(`files of ${root.target}: ${describeError(error)}`);
    }
  }
  if (touchedDatabase && staged.plan.database) {
    try {
      if (!safety || safety.status !== "completed") throw new Error("there is no safety backup");
      // The safety backup was written by this very process: its file key is still in memory.
      const fileKey = fileKeyWrittenHere(safety.fileName);
      const archive = await inspectArchive(path.join(resolvedBackupDir(settings), safety.fileName), fileKey ? { fileKey } : null);
      const dumpFile = path.join(resolvedBackupDir(settings), `.rollback-${job.id}.db.part`);
      try {
        await fs.rm(dumpFile, { force: true });
        await verifyAndStage(archive, { fileRoots: new Map(), databaseFile: dumpFile, onBytes: () => {} });
      } finally {
        await archive.close();
      }
      keepPortalStateIfOwn(staged.plan, dumpFile, job.restoreAccounts, log);
      await loadDatabase(staged.plan.database.target, dumpFile, settings, () => {});
      await fs.rm(dumpFile, { force: true });
      await afterDatabaseLoad(job, settings, staged.plan);
      log.info(`Put back the previous database from the safety backup ${safety.fileName}`);
    } catch (error) {
      problems.push(`database: ${describeError(error)}`);
    }
  }
  if (problems.length) {
    const message = `Restore failed: ${failure}. ROLLBACK FAILED (${problems.join("; ")}): restore the safety backup ${safety?.fileName ?? "(none)"} by hand.`;
    log.error(message);
    return message;
  }
  return `Restore failed: ${failure}. Everything was put back as it was before the restore${safety ? ` (safety backup ${safety.fileName})` : ""}.`;
}

async function cleanUpStaging(staged: Staged): Promise<void> {
  // A root's set-aside folder is not touched here: undoSwap empties and removes it, and after a failed
  // undo it may hold the only copy of what was there.
  for (const root of staged.roots) await fs.rm(root.staged, { recursive: true, force: true });
  if (staged.databaseFile) await fs.rm(staged.databaseFile, { force: true });
}
