import type { AgeKeys } from "@/lib/backup/crypto/age";
import { withPortalKeys } from "@/lib/backup/crypto/keys";
import fs from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { createReadStream } from "node:fs";
import { prisma, type Backup } from "@/lib/db";
import { fromRoot } from "@/lib/config";
import { drillDatabase, parseDatabaseUrl, vetStagedDump } from "@/lib/backup/database/registry";
import { describeError } from "@/lib/backup/jobs/errors";
import { openBackupLog } from "@/lib/backup/jobs/log";
import { ensurePrivateDir, jobFiles, resolveInside } from "@/lib/backup/jobs/paths";
import { ProgressReporter } from "@/lib/backup/jobs/progress";
import { markFailed } from "@/lib/backup/jobs/queue";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { inspectArchive, sha256OfFile } from "@/lib/backup/restore/inspect";
import { formatBytes } from "@/lib/format";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

/** Where a drill stages its scratch copy: private, never a configured folder, removed when it ends. */
export function drillScratchDir(jobId: number): string {
  return fromRoot(`var/drill/${jobId}`);
}

interface Counted {
  files: number;
  bytes: number;
  links: number;
  folders: number;
}

async function countTree(dir: string, into: Counted): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) into.links++;
    else if (entry.isDirectory()) {
      into.folders++;
      await countTree(full, into);
    } else if (entry.isFile()) {
      into.files++;
      into.bytes += (await fs.lstat(full)).size;
    }
  }
}

/** How many tables a SQL dump creates (lines that start a CREATE TABLE: mysqldump's and pg_dump's own). */
async function tablesInDump(file: string): Promise<number> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (/^CREATE TABLE /.test(line)) count++;
  return count;
}

/**
 * A restore drill: takes the archive named in `sourceFileName`, checks its SHA-256 against the record,
 * restores it into a scratch folder (every entry checked against its SHA-256 as it is written) and, for
 * the database, into a scratch database (SQLite: the staged file; MySQL/PostgreSQL: a
 * `safekeep_drill_<id>` database on the same server, only when the settings allow it), then compares what
 * came back with what the manifest says, and removes the scratch copies. Nothing live is touched.
 */
export async function runDrill(id: number, settings: Settings, keys?: AgeKeys | null): Promise<Backup> {
  const claimed = await prisma.backup.updateMany({
    where: { id, status: "queued", kind: "drill" },
    data: { status: "running", phase: "verifying", pid: process.pid, startedAt: new Date(), heartbeatAt: new Date() },
  });
  if (claimed.count === 0) throw new Error(`Drill ${id} is not waiting to run`);
  const job = await prisma.backup.findUniqueOrThrow({ where: { id } });
  const dir = await ensurePrivateDir(resolvedBackupDir(settings));
  const log = openBackupLog(jobFiles(dir, job.fileName).log);
  const progress = new ProgressReporter(id);
  progress.start();
  const scratch = drillScratchDir(id);
  const name = job.sourceFileName ?? "";
  try {
    const file = resolveInside(dir, name);
    log.info(`Restore drill of ${name} into ${scratch}`);
    const record = await prisma.backup.findUnique({ where: { fileName: name } });
    const sha256 = await sha256OfFile(file);
    if (record?.sha256 && record.sha256 !== sha256) throw new Error("The archive's SHA-256 does not match the one recorded when it was made");
    log.info(`Archive SHA-256 ${sha256}${record?.sha256 ? " matches the record" : ""}`);

    await fs.rm(scratch, { recursive: true, force: true });
    await ensurePrivateDir(scratch);
    const archive = await inspectArchive(file, withPortalKeys(keys, settings));
    const roots = new Map(archive.manifest.source.fileRoots.map((r) => [r.label, path.join(scratch, "files", r.label)]));
    for (const root of roots.values()) await fs.mkdir(root, { recursive: true, mode: 0o700 });
    const databaseFile = archive.manifest.database ? path.join(scratch, "database.dump") : null;
    progress.bytesTotal = archive.uncompressedBytes;
    progress.setPhase("restoring-files");
    try {
      await verifyAndStage(archive, { fileRoots: roots, databaseFile, onBytes: (n) => progress.add(n) });
    } finally {
      await archive.close();
    }
    const { summary, manifest: m } = archive;
    const found: Counted = { files: 0, bytes: 0, links: 0, folders: 0 };
    for (const root of roots.values()) await countTree(root, found);
    const wanted = { files: summary.files, bytes: summary.fileBytes, links: summary.symlinks };
    if (found.files !== wanted.files || found.bytes !== wanted.bytes || found.links !== wanted.links) {
      throw new Error(
        `The scratch copy holds ${found.files} files (${found.bytes} bytes) and ${found.links} links; the manifest lists ${wanted.files} files (${wanted.bytes} bytes) and ${wanted.links} links`,
      );
    }
    const said = [
      `${found.files.toLocaleString("en")} files (${formatBytes(found.bytes)}), ${found.folders.toLocaleString("en")} folders and ${found.links} links came back, each matching its SHA-256`,
    ];

    if (m.database && databaseFile) {
      progress.setPhase("restoring-database");
      const target = parseDatabaseUrl(settings.databaseUrl);
      if (target.kind !== m.database.kind) {
        said.push(`the ${m.database.kind} dump matches its SHA-256 (not loaded: the configured database is ${target.kind})`);
      } else if (target.kind !== "sqlite" && !settings.drillScratchDatabase) {
        await vetStagedDump(target, databaseFile, settings);
        said.push(`the database dump matches its SHA-256 and holds no client command (not loaded: allow a scratch database in Settings to load it)`);
      } else {
        // The driver's drill checks the dump itself (its loader's scan, SQLite's integrity check): not read twice here.
        const loaded = await drillDatabase(target, databaseFile, settings, `safekeep_drill_${id}`);
        if (target.kind !== "sqlite") {
          const created = await tablesInDump(databaseFile);
          if (created !== loaded.tables) throw new Error(`The dump creates ${created} tables but ${loaded.tables} came back in the scratch database`);
        }
        said.push(`the database loaded into ${loaded.place}: ${loaded.tables} tables, ${loaded.rows.toLocaleString("en")} rows`);
      }
    }
    await progress.stop();
    log.info(`Proven restorable: ${said.join("; ")}`);
    return prisma.backup.update({
      where: { id },
      data: { status: "completed", phase: "done", percent: 100, finishedAt: new Date(), exclusiveSlot: null, heartbeatAt: new Date() },
    });
  } catch (error) {
    await progress.stop();
    const message = `Restore drill of ${name} failed: ${describeError(error)}`;
    log.error(message);
    await markFailed(job, message, settings);
    return prisma.backup.findUniqueOrThrow({ where: { id } });
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
