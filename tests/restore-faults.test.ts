import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { cancelBackup } from "@/lib/backup/jobs/cancel";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { startBackgroundRestore } from "@/lib/backup/jobs/start";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, testRoot } from "./helpers/fixtures";
import { readBackup, waitFor } from "./helpers/wait";
import { snapshotTree } from "./helpers/trees";

/** A restore's background process, held (test-only switch) on entering `phase`, then dealt with by the test. */
async function restoreHeldAt(phase: string) {
  const holdFile = testRoot(`hold-${phase}`);
  fs.rmSync(holdFile, { force: true });
  process.env.SAFEKEEP_TEST_HOLD_PHASE = phase;
  process.env.SAFEKEEP_TEST_HOLD_FILE = holdFile;
  const settings = await loadSettings();
  const backup = await runBackup((await enqueueBackup(settings, null)).id, settings);
  fs.writeFileSync(testRoot("site/index.html"), "changed after the backup");
  const siteBefore = snapshotTree(testRoot("site"));
  const job = await startBackgroundRestore(settings, null, backup.fileName, "both");
  await waitFor(() => fs.existsSync(holdFile), Boolean, 60_000);
  return { job: await readBackup(job.id)(), settings, siteBefore };
}

describe("a restore that is stopped", () => {
  beforeEach(async () => {
    await freshSite();
    fs.rmSync(testRoot("db"), { recursive: true, force: true });
    makeFileTree(testRoot("site"));
    makeSqliteDatabase(testRoot("db/app.db"), 200);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup", runtimeBinary: process.execPath, smtpHost: "" });
  });
  afterEach(() => {
    delete process.env.SAFEKEEP_TEST_HOLD_PHASE;
    delete process.env.SAFEKEEP_TEST_HOLD_FILE;
  });

  it("killed while replacing data: marked failed, naming the safety backup to go back to, staging removed", async () => {
    const { job, settings } = await restoreHeldAt("restoring-files");
    expect(job.phase).toBe("restoring-files");
    process.kill(job.pid!, "SIGKILL");
    const failed = await waitFor(
      () => reapStaleJobs(settings).then(() => readBackup(job.id)()),
      (b) => b.status === "failed",
      20_000,
    );
    expect(failed.safetyFileName).toMatch(/-safety-/);
    expect(failed.error).toContain("stopped while replacing data (restoring-files)");
    expect(failed.error).toContain(`Restore the safety backup ${failed.safetyFileName}`);
    expect((await prisma.backup.findUniqueOrThrow({ where: { fileName: failed.safetyFileName! } })).status).toBe("completed");
    expect(fs.readdirSync(path.dirname(testRoot("site"))).filter((n) => n.startsWith(".safekeep-restore-"))).toEqual([]);
    expect(failed.exclusiveSlot).toBeNull();
  });

  it("cancelled before it replaces anything: stopped, nothing changed; once it replaces data, cancel is refused", async () => {
    const { job, settings, siteBefore } = await restoreHeldAt("safety-backup");
    const cancelled = await cancelBackup(job.id, settings, "test", 1000);
    expect(cancelled.status).toBe("cancelled");
    expect(snapshotTree(testRoot("site"))).toEqual(siteBefore);
    expect(fs.readdirSync(path.dirname(testRoot("site"))).filter((n) => n.startsWith(".safekeep-"))).toEqual([]);

    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup", runtimeBinary: process.execPath, smtpHost: "" });
    const held = await restoreHeldAt("restoring-files");
    await expect(cancelBackup(held.job.id, held.settings, "test", 1000)).rejects.toThrow(/replacing data now and cannot be stopped/);
    process.kill(held.job.pid!, "SIGKILL");
  });
});
