import path from "node:path";
import { parseArgs } from "node:util";
import { formatBytes } from "@/lib/format";
import { loadSettings, resolvedBackupDir } from "@/lib/settings";
import { environmentDestination, listDestinations, s3Url, type Destination } from "@/lib/offsite/destinations";
import { destinationForBucket, downloadVerified, listRemoteBackups, parseS3Url } from "@/lib/offsite/fetch";
import { pushBackupById } from "@/lib/offsite/push";

/** `backup:push <id>`: copies a completed backup to every destination again, resuming a half-done upload. */
export async function backupPush(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const id = Number(positionals[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error("backup:push needs a backup id (see backup:list)");
  const destinations = await listDestinations();
  if (!destinations.length) throw new Error("No offsite destination: add one on Settings, or set BACKUP_S3_BUCKET and the AWS_* variables");
  const report = await pushBackupById(id, await loadSettings());
  for (const line of report.lines) (report.failed ? console.error : console.log)(line);
  return report.failed ? 1 : 0;
}

async function pickDestinations(id: string | undefined): Promise<Destination[]> {
  const all = await listDestinations();
  const chosen = id ? all.filter((d) => d.id === id) : all;
  if (!chosen.length)
    throw new Error(id ? `No destination "${id}"` : "No offsite destination: add one on Settings, or set BACKUP_S3_BUCKET and the AWS_* variables");
  return chosen;
}

/** `backup:list --remote [--destination ID] [--json]`: what each bucket holds, whether or not this portal knows it. */
export async function backupListRemote(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { remote: { type: "boolean" }, json: { type: "boolean" }, destination: { type: "string" } } });
  const out: Record<string, unknown>[] = [];
  for (const destination of await pickDestinations(values.destination)) {
    const backups = await listRemoteBackups(destination);
    if (values.json) {
      out.push(
        ...backups.map((b) => ({
          destination: destination.id,
          url: s3Url(destination, b.fileName),
          fileName: b.fileName,
          sizeBytes: b.sizeBytes,
          lastModified: b.lastModified?.toISOString() ?? null,
        })),
      );
      continue;
    }
    console.log(`${destination.name} (s3://${destination.bucket}/${destination.prefix}): ${backups.length} backup(s)`);
    for (const b of backups)
      console.log(`  ${b.lastModified?.toISOString() ?? "?".padEnd(24)}  ${formatBytes(b.sizeBytes).padStart(10)}  ${s3Url(destination, b.fileName)}`);
  }
  if (values.json) console.log(JSON.stringify(out));
  return 0;
}

/**
 * `backup:restore s3://bucket/prefix/<name>.zip | --latest [--destination ID] [restore options]`: fetches
 * the archive into the backup directory, checked against its SHA-256 before anything is touched, then
 * restores it as `backup:restore <file>` does. Needs no portal database content: a fresh install with the
 * destination in the environment is enough.
 */
export async function backupRestoreRemote(args: string[], restoreLocal: (args: string[]) => Promise<number>): Promise<number> {
  const { positionals, values, tokens } = parseArgs({
    args,
    allowPositionals: true,
    tokens: true,
    options: {
      latest: { type: "boolean" },
      destination: { type: "string" },
      only: { type: "string" },
      yes: { type: "boolean" },
      "no-safety-backup": { type: "boolean" },
      identity: { type: "string", short: "i" },
      "allow-unencrypted": { type: "boolean" },
    },
  });
  let destination: Destination;
  let key: string;
  if (values.latest) {
    const all = values.destination ? await pickDestinations(values.destination) : [environmentDestination() ?? (await pickDestinations(undefined))[0]!];
    destination = all[0]!;
    const newest = (await listRemoteBackups(destination))[0];
    if (!newest) throw new Error(`There is no backup in s3://${destination.bucket}/${destination.prefix}`);
    key = newest.key;
  } else {
    const source = positionals[0];
    if (!source) throw new Error("backup:restore needs s3://bucket/prefix/<name>.zip or --latest");
    const parsed = parseS3Url(source);
    destination = await destinationForBucket(parsed.bucket, parsed.prefix);
    key = parsed.key;
  }
  const settings = await loadSettings();
  const dir = resolvedBackupDir(settings);
  console.log(`Fetching s3://${destination.bucket}/${key} ...`);
  const fetched = await downloadVerified(destination, key, dir);
  console.log(`Fetched ${path.basename(fetched.file)} (${formatBytes(fetched.sizeBytes)}), SHA-256 checked: ${fetched.sha256}`);
  // The rest of the options pass through unchanged to the local restore.
  const passOn = tokens!
    .filter((t) => t.kind === "option" && !["latest", "destination"].includes(t.name))
    .flatMap((t) => (t.kind === "option" ? [t.rawName, ...(t.value !== undefined ? [t.value] : [])] : []));
  return restoreLocal([path.basename(fetched.file), ...passOn]);
}

/**
 * `backup:prune [--dry-run] [--json] [--local | --destination ID]`: this server's retention, then each
 * destination's; with --dry-run only what they would delete, from the same decisions the run makes.
 */
export async function backupPrune(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { "dry-run": { type: "boolean" }, json: { type: "boolean" }, destination: { type: "string" }, local: { type: "boolean" } },
  });
  const dryRun = Boolean(values["dry-run"]);
  const { pruneDestination } = await import("@/lib/offsite/prune");
  const all: unknown[] = [];
  const show = (title: string, items: { createdAt: string; sizeBytes: number; url: string; reason: string }[]) => {
    all.push(...items);
    if (values.json) return;
    console.log(`${title}: ${dryRun ? "would delete" : "deleted"} ${items.length}`);
    for (const i of items) console.log(`  ${i.createdAt}  ${formatBytes(i.sizeBytes).padStart(10)}  ${i.url}  (${i.reason})`);
  };
  let failed = 0;
  if (!values.destination) {
    const settings = await loadSettings();
    const { applyRetention, planLocalRetention } = await import("@/lib/backup/jobs/retention");
    const plan = (await planLocalRetention(settings)).map((p) => p.item);
    if (dryRun) show(`This server (${settings.backupDir})`, plan);
    else {
      const deleted = new Set(await applyRetention(settings));
      show(
        `This server (${settings.backupDir})`,
        plan.filter((i) => deleted.has(i.fileName)),
      );
    }
  }
  const destinations = values.local ? [] : values.destination ? await pickDestinations(values.destination) : await listDestinations();
  for (const destination of destinations) {
    const items = await pruneDestination(destination, { dryRun }).catch((error: Error) => error);
    if (items instanceof Error) {
      failed++;
      console.error(`${destination.name}: ${items.message}`);
      continue;
    }
    show(`${destination.name} (s3://${destination.bucket}/${destination.prefix})`, items);
  }
  if (values.json) console.log(JSON.stringify(all));
  return failed ? 1 : 0;
}
