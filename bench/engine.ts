// The engine side of the benchmark: one job per process, so that its time and peak RSS are its own.
// Bundled by bench/run.mjs with esbuild (like the CLI) and run with plain node.
import fs from "node:fs";
import path from "node:path";
import { writeBackupArchive } from "@/lib/backup/archive";
import { parseDatabaseUrl } from "@/lib/backup/db-url";
import { mysqlDumper } from "@/lib/backup/dumpers/mysql";
import { verifyAndStage } from "@/lib/backup/extract";
import { inspectArchive } from "@/lib/backup/inspect";
import { silentLog } from "@/lib/backup/log";
import { walkRoots } from "@/lib/backup/walk";

async function archive(out: string, level: number, site: string | null, dbUrl: string | null) {
  const walk = site ? await walkRoots([site], []) : { roots: [], entries: [], totalFileBytes: 0, warnings: [] };
  const target = dbUrl ? parseDatabaseUrl(dbUrl) : null;
  const database =
    target?.kind === "mysql" ? { dumper: mysqlDumper(target, "mysqldump"), workFile: `${out}.dbwork` } : null;
  let bytes = 0;
  await writeBackupArchive({
    partFile: `${out}.part`,
    outFile: out,
    backupName: "bench",
    walk,
    database,
    level,
    log: silentLog,
    onBytes: (n) => (bytes += n),
    onPhase() {},
  });
  return { bytes };
}

async function extract(zipFile: string, dir: string) {
  const inspected = await inspectArchive(zipFile);
  const root = inspected.manifest.source.fileRoots[0]!.label;
  fs.mkdirSync(dir, { recursive: true });
  let bytes = 0;
  await verifyAndStage(inspected, {
    fileRoots: new Map([[root, path.join(dir, root)]]),
    databaseFile: null,
    onBytes: (n) => (bytes += n),
  });
  return { bytes };
}

const [job, ...args] = process.argv.slice(2);
const started = process.hrtime.bigint();
const result =
  job === "archive"
    ? await archive(args[0]!, Number(args[1]), args[2] || null, args[3] || null)
    : await extract(args[0]!, args[1]!);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
// maxRSS is in kilobytes: the process's peak resident memory.
process.stdout.write(JSON.stringify({ ...result, seconds, peakRssMB: process.resourceUsage().maxRSS / 1024 }) + "\n");
