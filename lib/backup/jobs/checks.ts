import fs from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { fromRoot } from "@/lib/config";
import { describeTarget, parseDatabaseUrl } from "@/lib/backup/database/url";
import { queryScalar } from "@/lib/backup/database/client";
import { mysqlClientPath } from "@/lib/backup/database/dumpers/mysql";
import { psqlPath } from "@/lib/backup/database/dumpers/postgres";
import { describeError } from "@/lib/backup/jobs/errors";
import { ensurePrivateDir } from "@/lib/backup/jobs/paths";
import { formatBytes } from "@/lib/format";
import { resolvedBackupDir, type Settings } from "@/lib/settings";
import Database from "better-sqlite3";

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

async function versionOf(program: string, label: string): Promise<CheckResult> {
  const result = await execa(program, ["--version"], { reject: false, timeout: 10_000 });
  if (result.exitCode === 0) return { name: label, ok: true, detail: `${program}: ${String(result.stdout).split("\n")[0]}` };
  const code = (result as { code?: string }).code;
  return {
    name: label,
    ok: false,
    detail: code === "ENOENT" ? `"${program}" was not found: install it or set its path` : `"${program}" failed: ${String(result.stderr || result.stdout).trim().slice(0, 200)}`,
  };
}

async function check(name: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: describeError(error) };
  }
}

/** What the settings page's Check button runs: would a backup made now work, and if not, why. */
export async function runChecks(settings: Settings): Promise<CheckResult[]> {
  const results: CheckResult[] = [await versionOf(settings.runtimeBinary, "Runtime for the background process")];
  const target = (() => {
    try {
      return parseDatabaseUrl(settings.databaseUrl);
    } catch (error) {
      results.push({ name: "Database", ok: false, detail: describeError(error) });
      return null;
    }
  })();
  if (target?.kind === "mysql") {
    results.push(await versionOf(settings.mysqldumpPath, "mysqldump"));
    results.push(await versionOf(mysqlClientPath(settings.mysqldumpPath), "mysql client (for restores)"));
    results.push(await check("Database", async () => `${describeTarget(target)}: MariaDB/MySQL ${await queryScalar(mysqlClientPath(settings.mysqldumpPath), target, "SELECT VERSION()")}`));
  } else if (target?.kind === "postgres") {
    results.push(await versionOf(settings.pgDumpPath, "pg_dump"));
    results.push(await versionOf(psqlPath(settings.pgDumpPath), "psql (for restores)"));
    results.push(await check("Database", async () => `${describeTarget(target)}: ${(await queryScalar(psqlPath(settings.pgDumpPath), target, "SELECT version()")).split(" on ")[0]}`));
  } else if (target?.kind === "sqlite") {
    results.push(await check("Database", async () => {
      await fs.access(target.file);
      const db = new Database(target.file, { readonly: true, fileMustExist: true });
      try {
        db.prepare("SELECT count(*) FROM sqlite_master").get();
      } finally {
        db.close();
      }
      return `SQLite ${target.file} (${formatBytes((await fs.stat(target.file)).size)})`;
    }));
  }
  const dir = resolvedBackupDir(settings);
  results.push(await check("Backup directory", async () => {
    await ensurePrivateDir(dir);
    const probe = path.join(dir, `.write-test-${process.pid}`);
    await fs.writeFile(probe, "ok", { mode: 0o600 });
    await fs.rm(probe);
    return `${dir} is writable`;
  }));
  results.push(await check("Free disk space", async () => {
    const stats = await fs.statfs(dir);
    const free = stats.bavail * stats.bsize;
    if (free < 100 * 1024 * 1024) throw new Error(`Only ${formatBytes(free)} free in ${dir}`);
    return `${formatBytes(free)} free in ${dir}`;
  }));
  for (const root of settings.fileRoots) {
    results.push(await check(`File root ${root}`, async () => {
      const stat = await fs.stat(fromRoot(root));
      if (!stat.isDirectory()) throw new Error(`${fromRoot(root)} is not a directory`);
      return `${fromRoot(root)} exists`;
    }));
  }
  return results;
}
