import { parseArgs } from "node:util";
import type { Backup } from "@/lib/db";
import { loadSettings } from "@/lib/settings";
import { enqueueBackup, JobAlreadyRunningError } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { formatBytes } from "@/lib/format";
import { describeSource, oneOffSettings, passwordOnCommandLine } from "@/lib/cli/one-off";
import { exitCodeFor, jobWarnings, outcomeHeadline } from "@/lib/cli/job-outcome";
import { showJobProgress } from "@/lib/cli/progress-display";
import { EXIT } from "@/lib/cli/usage";
import { summary } from "@/lib/cli/backup-commands";

/**
 * `backup:create [--json] [--database-url URL] [--files DIR]... [--exclude GLOB]...`: backs up now, in the
 * foreground, showing its progress. The options are for this run only; nothing is saved. Exit code 0 for
 * a clean backup, 2 for one completed with warnings, 1 when it failed, 3 when another job runs.
 */
export async function backupCreate(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      "database-url": { type: "string" },
      files: { type: "string", multiple: true },
      exclude: { type: "string", multiple: true },
    },
  });
  const { settings, overridden } = oneOffSettings(await loadSettings(), values);
  if (passwordOnCommandLine(values)) {
    console.error(
      "Note: a password in --database-url is visible to other users of this machine (ps) while this runs; BACKUP_DATABASE_URL keeps it out of sight.",
    );
  }
  const source = await describeSource(settings, overridden);
  let queued: Backup;
  try {
    queued = await enqueueBackup(settings, null);
  } catch (error) {
    if (!(error instanceof JobAlreadyRunningError)) throw error;
    if (values.json) console.log(JSON.stringify({ error: { code: "busy", message: error.message } }));
    else console.error(error.message);
    return EXIT.busy;
  }
  if (!values.json) {
    for (const line of source) console.log(line);
    console.log(`Backing up to ${queued.fileName} ...`);
  }
  const started = Date.now();
  const stopProgress = values.json ? async () => {} : showJobProgress(queued.id, process.stdout);
  let done: Backup;
  try {
    done = await runJob(queued.id, { settings });
  } finally {
    await stopProgress();
  }
  const seconds = (Date.now() - started) / 1000;
  const warnings = await jobWarnings(done, settings);
  if (values.json) {
    console.log(JSON.stringify({ ...summary(done), warningCount: done.warningCount, warnings, durationSeconds: seconds, source }));
  } else if (done.status === "completed") {
    console.log(`${outcomeHeadline(done)}: ${done.fileName}, ${formatBytes(done.sizeBytes ?? 0)} in ${seconds.toFixed(1)} s`);
    console.log(`sha256 ${done.sha256}`);
    for (const warning of warnings) console.log(`Warning: ${warning}`);
  } else {
    console.error(`Backup failed: ${done.error}`);
  }
  return exitCodeFor(done);
}
