import { parseArgs } from "node:util";
import { prisma, type Backup } from "@/lib/db";
import { loadSettings } from "@/lib/settings";
import { enqueueBackup, JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { runJob } from "@/lib/backup/jobs/run-job";
import { formatBytes } from "@/lib/format";

function summary(backup: Backup) {
  return {
    id: backup.id,
    fileName: backup.fileName,
    status: backup.status,
    sizeBytes: backup.sizeBytes,
    sha256: backup.sha256,
    createdAt: backup.createdAt.toISOString(),
    finishedAt: backup.finishedAt?.toISOString() ?? null,
    error: backup.error,
  };
}

export async function backupCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  const settings = await loadSettings();
  let queued: Backup;
  try {
    queued = await enqueueBackup(settings, null);
  } catch (error) {
    if (!(error instanceof JobAlreadyRunningError)) throw error;
    if (values.json) console.log(JSON.stringify({ error: { code: "busy", message: error.message } }));
    else console.error(error.message);
    return 3;
  }
  if (!values.json) console.log(`Backing up to ${queued.fileName} ...`);
  const started = Date.now();
  const done = await runJob(queued.id, { settings });
  const seconds = (Date.now() - started) / 1000;
  if (values.json) {
    console.log(JSON.stringify({ ...summary(done), durationSeconds: seconds }));
  } else if (done.status === "completed") {
    console.log(`Completed ${done.fileName}: ${formatBytes(done.sizeBytes ?? 0)} in ${seconds.toFixed(1)} s`);
    console.log(`sha256 ${done.sha256}`);
  } else {
    console.error(`Backup failed: ${done.error}`);
  }
  return done.status === "completed" ? 0 : 1;
}

export async function backupList(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: "boolean" } } });
  await reapStaleJobs(await loadSettings());
  const backups = await prisma.backup.findMany({ orderBy: { createdAt: "desc" } });
  if (values.json) {
    console.log(JSON.stringify(backups.map(summary)));
    return 0;
  }
  if (backups.length === 0) console.log("No backups yet.");
  for (const b of backups) {
    console.log(
      [b.createdAt.toISOString(), b.status.padEnd(9), formatBytes(b.sizeBytes ?? 0).padStart(10), b.fileName].join("  "),
    );
  }
  return 0;
}

export async function backupRun(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error("backup:run and job:run need a job id");
  const settings = await loadSettings();
  const done = await runJob(id, { settings });
  // The worker is a good moment for the housekeeping a portal-less install would otherwise never get.
  await runMaintenance(settings).catch(() => {});
  return done.status === "completed" ? 0 : 1;
}
