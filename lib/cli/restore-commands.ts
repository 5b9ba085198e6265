import path from "node:path";
import readline from "node:readline/promises";
import { parseArgs } from "node:util";
import { formatBytes } from "@/lib/format";
import { locateArchive } from "@/lib/cli/locate-archive";
import { EXIT, UsageError } from "@/lib/cli/usage";
import type { AgeKeys } from "@/lib/backup/crypto/age";

/** `backup:verify <file>`: checks an archive completely and says what it holds. Needs no database. */
export async function backupVerify(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, identity: { type: "string", short: "i" } },
  });
  if (!positionals[0]) throw new UsageError("backup:verify needs an archive: its path, or its name as backup:list prints it");
  const file = await locateArchive(positionals[0]);
  if (!file.found) return reportRejected(new Error(file.problem), values.json);
  const { inspectArchive, sha256OfFile } = await import("@/lib/backup/restore/inspect");
  const { verifyAndStage } = await import("@/lib/backup/restore/extract");
  const keys = await keysForArchive(file.path, values.identity).catch((e: Error) => e);
  if (keys instanceof Error) return reportRejected(keys, values.json);
  const archive = await inspectArchive(file.path, keys).catch((e: Error) => e);
  if (archive instanceof Error) return reportRejected(archive, values.json);
  try {
    await verifyAndStage(archive, { fileRoots: new Map(), databaseFile: null, onBytes: () => {} });
  } catch (error) {
    return reportRejected(error as Error, values.json);
  } finally {
    await archive.close();
  }
  const m = archive.manifest;
  const { summary } = archive;
  const sha256 = await sha256OfFile(file.path);
  await markVerifiedIfListed(file.path, sha256, m.createdAt);
  if (values.json) {
    console.log(
      JSON.stringify({
        ok: true,
        sha256,
        createdAt: m.createdAt,
        database: m.database,
        roots: m.source.fileRoots,
        files: summary.files,
        bytes: summary.fileBytes,
      }),
    );
    return 0;
  }
  console.log(`OK: every entry matches its manifest (archive sha256 ${sha256})`);
  console.log(`Made ${m.createdAt} on ${m.source.hostname}`);
  console.log(m.database ? `Database: ${m.database.kind} ${m.database.name} (${formatBytes(m.database.size)})` : "Database: none");
  for (const root of m.source.fileRoots) {
    const held = summary.roots.get(root.label) ?? { files: 0, bytes: 0 };
    console.log(`Files: ${root.label} (from ${root.path}): ${held.files} files, ${formatBytes(held.bytes)}`);
  }
  if (m.warnings.length) console.log(`Warnings when it was made:\n  ${m.warnings.join("\n  ")}`);
  return 0;
}

/** An archive of the backup directory listed as "not verified" becomes a backup once this check passes. */
async function markVerifiedIfListed(file: string, sha256: string, createdAt: string): Promise<void> {
  try {
    const { loadSettings, resolvedBackupDir } = await import("@/lib/settings");
    if (path.dirname(file) !== resolvedBackupDir(await loadSettings())) return;
    const { prisma } = await import("@/lib/db");
    await prisma.backup.updateMany({
      where: { fileName: path.basename(file), status: "unverified" },
      data: { status: "completed", phase: "done", percent: 100, sha256, createdAt: new Date(createdAt), error: null },
    });
  } catch {
    // Verifying needs no portal database (disaster recovery): without one there is no list to update.
  }
}

/**
 * The key for an encrypted archive: --identity FILE, BACKUP_ENCRYPTION_PASSPHRASE, a passphrase typed on
 * the terminal, and the portal's own passphrase when there is a portal database to read it from.
 */
async function keysForArchive(file: string, identity: string | undefined): Promise<AgeKeys | null> {
  const { isEncryptedArchive } = await import("@/lib/backup/archive/archive-source");
  const encrypted = await isEncryptedArchive(file);
  if (!encrypted) return null;
  const { cliKeys } = await import("@/lib/cli/job-keys");
  const given = await cliKeys({ identity, encrypted });
  if (given) return given;
  try {
    const { loadSettings } = await import("@/lib/settings");
    const { portalKeys } = await import("@/lib/backup/crypto/keys");
    return portalKeys(await loadSettings());
  } catch {
    return null;
  }
}

function reportRejected(error: Error, json?: boolean): number {
  if (json) console.log(JSON.stringify({ ok: false, error: error.message }));
  else console.error(`REFUSED: ${error.message}`);
  return 1;
}

/** `--map label=path`, repeatable: where a root the configuration does not have goes (disaster recovery). */
function parseRootMap(values: string[] | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const value of values ?? []) {
    const cut = value.indexOf("=");
    if (cut <= 0 || cut === value.length - 1) throw new Error(`--map takes label=folder (got ${value})`);
    const label = value.slice(0, cut);
    if (map.has(label)) throw new Error(`--map names ${label} twice`);
    map.set(label, path.resolve(value.slice(cut + 1)));
  }
  return map;
}

/**
 * `backup:restore <file> [--only database|files] [--map label=folder]… [--yes] [--no-safety-backup]`:
 * restores in the foreground. Works from an archive alone, once `npm run setup` has made an empty portal
 * database. Folders go back to the configured roots of the same label, or where `--map` says.
 */
export async function backupRestore(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      only: { type: "string" },
      map: { type: "string", multiple: true },
      yes: { type: "boolean" },
      "no-safety-backup": { type: "boolean" },
      identity: { type: "string", short: "i" },
      "allow-unencrypted": { type: "boolean" },
    },
  });
  const source = positionals[0];
  if (!source) throw new Error("backup:restore needs an archive: a file name in the backup directory or a path");
  const parts = values.only === undefined ? "both" : values.only;
  if (parts !== "both" && parts !== "database" && parts !== "files") throw new UsageError("--only takes database or files");
  const rootMap = parseRootMap(values.map);

  const { loadSettings, resolvedBackupDir } = await import("@/lib/settings");
  const { inspectArchive } = await import("@/lib/backup/restore/inspect");
  const { planRestore } = await import("@/lib/backup/restore/plan");
  const settings = await loadSettings();
  const file = source.includes("/") ? path.resolve(source) : path.join(resolvedBackupDir(settings), source);
  if (!source.includes("/")) {
    const fetched = await (await import("@/lib/offsite/fetch-missing")).fetchFromOffsiteIfMissing(source, settings);
    if (fetched) console.log(`The local archive was gone: fetched from ${fetched}, SHA-256 checked`);
  }
  const keys = await keysForArchive(file, values.identity).catch((e: Error) => e);
  if (keys instanceof Error) return reportRejected(keys);
  const archive = await inspectArchive(file, keys).catch((e: Error) => e);
  if (archive instanceof Error) return reportRejected(archive);
  await archive.close();
  if (!archive.source.encrypted && settings.encryption !== "off" && !values["allow-unencrypted"]) {
    return reportRejected(new Error(`${path.basename(file)} is not encrypted, though this portal's backups are: add --allow-unencrypted if you trust it`));
  }
  const plan = planRestore(archive, settings, parts, rootMap);
  if (plan.problems.length) return reportRejected(new Error(plan.problems.join("; ")));

  console.log(`Restore from ${file} (made ${archive.manifest.createdAt}):`);
  if (plan.database) console.log(`  replaces the database: ${plan.database.description}`);
  for (const root of plan.roots) console.log(`  replaces the folder ${root.target} with ${root.files} files (${formatBytes(root.bytes)})`);
  if (!values.yes) {
    if (!process.stdin.isTTY) {
      console.error("Not a terminal: add --yes to confirm the restore.");
      return EXIT.notConfirmed;
    }
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Type the archive's name (${path.basename(file)}) to go on: `);
    rl.close();
    if (answer.trim() !== path.basename(file)) {
      console.error("Not confirmed; nothing was changed.");
      return EXIT.notConfirmed;
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
      return EXIT.busy;
    }
    throw error;
  }
  // Loaded here, not at the top: backup:verify must work without the portal's database.
  const { showJobProgress } = await import("@/lib/cli/progress-display");
  const { exitCodeFor, jobWarnings, outcomeHeadline } = await import("@/lib/cli/job-outcome");
  const stopProgress = showJobProgress(job.id, process.stdout);
  let done;
  try {
    done = await runJob(job.id, { settings, safetyBackup: !values["no-safety-backup"], rootMap, keys });
  } finally {
    await stopProgress();
  }
  if (done.status === "completed") {
    const headline = outcomeHeadline(done).replace(/^Completed/, "Restore completed");
    console.log(`${headline}.${done.safetyFileName ? ` The state before it is in ${done.safetyFileName}.` : ""}`);
    for (const warning of await jobWarnings(done, settings)) console.log(`Warning: ${warning}`);
  } else {
    console.error(done.error);
  }
  return exitCodeFor(done);
}

export async function restoreRun(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args, allowPositionals: true, options: { "keys-on-stdin": { type: "boolean" } } });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error("restore:run needs a restore id");
  const keys = values["keys-on-stdin"] ? await (await import("@/lib/cli/job-keys")).keysFromStdin() : null;
  const { runJob } = await import("@/lib/backup/jobs/run-job");
  const { runMaintenance } = await import("@/lib/backup/jobs/maintenance");
  const { loadSettings } = await import("@/lib/settings");
  const settings = await loadSettings();
  const done = await runJob(id, { settings, safetyBackup: true, keys });
  await runMaintenance(settings).catch(() => {});
  return done.status === "completed" ? 0 : 1;
}

/** `backup:drill [file]`: proves a backup (the newest by default) restorable, in the foreground. */
export async function backupDrill(args: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: "boolean" }, identity: { type: "string", short: "i" } },
  });
  const { loadSettings, resolvedBackupDir } = await import("@/lib/settings");
  const { enqueueDrill, JobAlreadyRunningError } = await import("@/lib/backup/jobs/queue");
  const { newestBackup } = await import("@/lib/backup/requests/drill");
  const { runJob } = await import("@/lib/backup/jobs/run-job");
  const { readLogTail } = await import("@/lib/backup/jobs/log");
  const { jobFiles } = await import("@/lib/backup/jobs/paths");
  const settings = await loadSettings();
  const name = positionals[0] ? path.basename(positionals[0]) : (await newestBackup())?.fileName;
  if (!name) {
    console.error("There is no completed backup to drill yet.");
    return 1;
  }
  let job;
  try {
    job = await enqueueDrill(settings, null, name);
  } catch (error) {
    if (!(error instanceof JobAlreadyRunningError)) throw error;
    console.error(error.message);
    return 3;
  }
  const keys = await keysForArchive(path.join(resolvedBackupDir(settings), name), values.identity).catch(() => null);
  const done = await runJob(job.id, { settings, keys });
  const proof = (await readLogTail(jobFiles(resolvedBackupDir(settings), done.fileName).log)).split("\n").find((l) => l.includes("Proven restorable"));
  if (values.json)
    console.log(
      JSON.stringify({ ok: done.status === "completed", backup: name, error: done.error, proof: proof?.replace(/^.*Proven restorable: /, "") ?? null }),
    );
  else if (done.status === "completed") console.log(`${name}: ${proof?.replace(/^.*INFO\s+/, "") ?? "proven restorable"}`);
  else console.error(done.error);
  return done.status === "completed" ? 0 : 1;
}
