import fs from "node:fs/promises";
import path from "node:path";
import { fromRoot } from "@/lib/config";
import { databaseChecks, parseDatabaseUrl } from "@/lib/backup/database/registry";
import { check, versionOf, type CheckResult } from "@/lib/backup/jobs/check-result";
import { describeError } from "@/lib/backup/jobs/errors";
import { ensurePrivateDir } from "@/lib/backup/jobs/paths";
import { formatBytes } from "@/lib/format";
import { resolvedBackupDir, type Settings } from "@/lib/settings";

export type { CheckResult };

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
  if (target) results.push(...(await databaseChecks(target, settings)));
  const dir = resolvedBackupDir(settings);
  results.push(
    await check("Backup directory", async () => {
      await ensurePrivateDir(dir);
      const probe = path.join(dir, `.write-test-${process.pid}`);
      await fs.writeFile(probe, "ok", { mode: 0o600 });
      await fs.rm(probe);
      return `${dir} is writable`;
    }),
  );
  results.push(
    await check("Free disk space", async () => {
      const stats = await fs.statfs(dir);
      const free = stats.bavail * stats.bsize;
      if (free < 100 * 1024 * 1024) throw new Error(`Only ${formatBytes(free)} free in ${dir}`);
      return `${formatBytes(free)} free in ${dir}`;
    }),
  );
  for (const root of settings.fileRoots) {
    results.push(
      await check(`File root ${root}`, async () => {
        const stat = await fs.stat(fromRoot(root));
        if (!stat.isDirectory()) throw new Error(`${fromRoot(root)} is not a directory`);
        return `${fromRoot(root)} exists`;
      }),
    );
  }
  return results;
}
