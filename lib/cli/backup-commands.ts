import { parseArgs } from "node:util";
import { prisma, type Backup } from "@/lib/db";
import { loadSettings } from "@/lib/settings";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { runJob } from "@/lib/backup/jobs/run-job";
import { formatBytes } from "@/lib/format";

/** A job as the CLI's --json output gives it. */
export function summary(backup: Backup) {
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
    console.log([b.createdAt.toISOString(), b.status.padEnd(9), formatBytes(b.sizeBytes ?? 0).padStart(10), b.fileName].join("  "));
  }
  return 0;
}

export async function backupRun(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { "keys-on-stdin": { type: "boolean" } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error("backup:run and job:run need a job id");
  // A key given in the portal for this job (verify of an encrypted archive) comes on stdin, never in argv.
  const keys = values["keys-on-stdin"] ? await (await import("@/lib/cli/job-keys")).keysFromStdin() : null;
  const settings = await loadSettings();
  const done = await runJob(id, { settings, keys });
  // The worker is a good moment for the housekeeping a portal-less install would otherwise never get.
  await runMaintenance(settings).catch(() => {});
  return done.status === "completed" ? 0 : 1;
}
