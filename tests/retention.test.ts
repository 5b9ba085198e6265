import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { finishJob } from "@/lib/backup/jobs/run-job";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { applyRetention } from "@/lib/backup/jobs/retention";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";

async function backUp() {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  await finishJob(done, settings);
  return done;
}

describe("retention", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
  });

  it("keeps exactly maxBackups unpinned completed backups, never a pinned one, failures counted apart", async () => {
    await configure({ maxBackups: 3, fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    const first = await backUp();
    await prisma.backup.update({ where: { id: first.id }, data: { pinned: true } });
    await configure({ databaseUrl: "file:db/missing.db" });
    const failed = await backUp();
    expect(failed.status).toBe("failed");
    await configure({ databaseUrl: "" });
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await backUp());

    const completed = await prisma.backup.findMany({ where: { kind: "backup", status: "completed" }, orderBy: { id: "asc" } });
    expect(completed.filter((b) => !b.pinned).map((b) => b.fileName)).toEqual(made.slice(2).map((b) => b.fileName));
    expect(completed.find((b) => b.pinned)?.id).toBe(first.id);
    expect(await prisma.backup.findUnique({ where: { id: failed.id } })).not.toBeNull();
    const onDisk = fs
      .readdirSync(testRoot("var/backup"))
      .filter((f) => f.endsWith(".zip"))
      .sort();
    expect(onDisk).toEqual([first, ...made.slice(2)].map((b) => b.fileName).sort());
    const audited = await prisma.auditEvent.findMany({ where: { action: "backup.retention-delete" } });
    expect(audited.map((a) => a.target).sort()).toEqual(
      made
        .slice(0, 2)
        .map((b) => b.fileName)
        .sort(),
    );
  });

  it("keeps safety backups for at least a week, and always the newest", async () => {
    await configure({ maxBackups: 1, fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    const settings = await loadSettings();
    const safety = [];
    for (let i = 0; i < 3; i++) {
      const b = await backUp();
      safety.push(await prisma.backup.update({ where: { id: b.id }, data: { kind: "safety" } }));
    }
    expect(await applyRetention(settings)).toEqual([]);
    const tenDaysLater = new Date(Date.now() + 10 * 24 * 3600 * 1000);
    const deleted = await applyRetention(settings, tenDaysLater);
    expect(deleted.sort()).toEqual(
      safety
        .slice(0, 2)
        .map((b) => b.fileName)
        .sort(),
    );
    expect(await prisma.backup.findUnique({ where: { id: safety[2]!.id } })).not.toBeNull();
  });
});
