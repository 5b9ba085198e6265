import path from "node:path";
import readline from "node:readline/promises";
import { parseArgs } from "node:util";
import { formatBytes } from "@/lib/format";

/** `backup:verify <file>`: checks an archive completely and says what it holds. Needs no database. */
export async function backupVerify(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { json: { type: "boolean" } } });
  const file = positionals[0];
  if (!file) throw new Error("backup:verify needs the archive's path");
  const { inspectArchive, sha256OfFile } = await import("@/lib/backup/restore/inspect");
  const { verifyAndStage } = await import("@/lib/backup/restore/extract");
  const archive = await inspectArchive(path.resolve(file)).catch((e: Error) => e);
  if (archive instanceof Error) return reportRejected(archive, values.json);
  try {
    await verifyAndStage(archive, { fileRoots: new Map(), databaseFile: null, onBytes: () => {} });
  } catch (error) {
    return reportRejected(error as Error, values.json);
  } finally {
    archive.close();
  }
  const m = archive.manifest;
  const sha256 = await sha256OfFile(path.resolve(file));
  const bytes = m.files.reduce((sum, f) => sum + f.size, 0);
  if (values.json) {
    console.log(JSON.stringify({ ok: true, sha256, createdAt: m.createdAt, database: m.database, roots: m.source.fileRoots, files: m.files.length, bytes }));
    return 0;
  }
  console.log(`OK: every entry matches its manifest (archive sha256 ${sha256})`);
  console.log(`Made ${m.createdAt} on ${m.source.hostname}`);
  console.log(m.database ? `Database: ${m.database.kind} ${m.database.name} (${formatBytes(m.database.size)})` : "Database: none");
  for (const root of m.source.fileRoots) {
    const files = m.files.filter((f) => f.entry.startsWith(`files/${root.label}/`));
    console.log(`Files: ${root.label} (from ${root.path}): ${files.length} files, ${formatBytes(files.reduce((s, f) => s + f.size, 0))}`);
  }
  if (m.warnings.length) console.log(`Warnings when it was made:\n  ${m.warnings.join("\n  ")}`);
  return 0;
}

function reportRejected(error: Error, json?: boolean): number {
  if (json) console.log(JSON.stringify({ ok: false, error: error.message }));
  else console.error(`REFUSED: ${error.message}`);
  return 1;
}

/**
 * `backup:restore <file> [--only database|files] [--yes] [--no-safety-backup]`: restores in the
 * foreground. Works from an archive alone, once `npm run setup` has made an empty portal database.
 */
export async function backupRestore(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { only: { type: "string" }, yes: { type: "boolean" }, "no-safety-backup": { type: "boolean" } },
  });
  const source = positionals[0];
  if (!source) throw new Error("backup:restore needs an archive: a file name in the backup directory or a path");
  const parts = values.only === undefined ? "both" : values.only;
  if (parts !== "both" && parts !== "database" && parts !== "files") throw new Error("--only takes database or files");

  const { loadSettings, resolvedBackupDir } = await import("@/lib/settings");
  const { inspectArchive } = await import("@/lib/backup/restore/inspect");
  const { planRestore } = await import("@/lib/backup/restore/plan");
  const settings = await loadSettings();
  const file = source.includes("/") ? path.resolve(source) : path.join(resolvedBackupDir(settings), source);
  if (!source.includes("/")) {
    const fetched = await (await import("@/lib/offsite/fetch-missing")).fetchFromOffsiteIfMissing(source, settings);
    if (fetched) console.log(`The local archive was gone: fetched from ${fetched}, SHA-256 checked`);
  }
  const archive = await inspectArchive(file).catch((e: Error) => e);
  if (archive instanceof Error) return reportRejected(archive);
  archive.close();
  const plan = planRestore(archive.manifest, settings, parts);
  if (plan.problems.length) return reportRejected(new Error(plan.problems.join("; ")));

  console.log(`Restore from ${file} (made ${archive.manifest.createdAt}):`);
  if (plan.database) console.log(`  replaces the database: ${plan.database.description}`);
  for (const root of plan.roots) console.log(`  replaces the folder ${root.target} with ${root.files} files (${formatBytes(root.bytes)})`);
  if (!values.yes) {
    if (!process.stdin.isTTY) {
      console.error("Not a terminal: add --yes to confirm the restore.");
      return 2;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Type the archive's name (${path.basename(file)}) to go on: `);
    rl.close();
    if (answer.trim() !== path.basename(file)) {
      console.error("Not confirmed; nothing was changed.");
      return 2;
    }
  }
  const { enqueueRestore, JobAlreadyRunningError } = await import("@/lib/backup/jobs/queue");
  const { runJob } = await import("@/lib/backup/jobs/run-job");
  const inBackupDir = path.dirname(file) === resolvedBackupDir(settings);
  let job;
  try {
    job = await enqueueRestore(settings, null, inBackupDir ? path.basename(file) : file, parts);
  } catch (error) {
    if (error instanceof JobAlreadyRunningError) {
      console.error(error.message);
      return 3;
    }
    throw error;
  }
  const done = await runJob(job.id, { settings, safetyBackup: !values["no-safety-backup"] });
  if (done.status === "completed") {
    console.log(`Restore completed.${done.safetyFileName ? ` The state before it is in ${done.safetyFileName}.` : ""}`);
    return 0;
  }
  console.error(done.error);
  return 1;
}

export async function restoreRun(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error("restore:run needs a restore id");
  const { runJob } = await import("@/lib/backup/jobs/run-job");
  const { runMaintenance } = await import("@/lib/backup/jobs/maintenance");
  const { loadSettings } = await import("@/lib/settings");
  const settings = await loadSettings();
  const done = await runJob(id, { settings, safetyBackup: true });
  await runMaintenance(settings).catch(() => {});
  return done.status === "completed" ? 0 : 1;
}
