import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup, JobAlreadyRunningError, START_TIMEOUT_MS } from "@/lib/backup/jobs/queue";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { partialFileNames } from "@/lib/backup/jobs/names";
import { loadSettings } from "@/lib/settings";
import { configure, resetBackups, testRoot } from "./helpers/fixtures";

describe("one job at a time", () => {
  beforeEach(async () => {
    await resetBackups();
    await configure({ backupDir: "var/backup" });
  });

  it("gives the slot to exactly one of many simultaneous requests", async () => {
    const settings = await loadSettings();
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => enqueueBackup(settings, null)));
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const r of lost) expect(r.reason).toBeInstanceOf(JobAlreadyRunningError);
    expect(await prisma.backup.count()).toBe(1);
  });

  it("frees the slot held by a process that died, and removes its partial files", async () => {
    const settings = await loadSettings();
    const job = await enqueueBackup(settings, null);
    // A pid that cannot be alive: beyond the kernel's pid_max.
    await prisma.backup.update({ where: { id: job.id }, data: { status: "running", pid: 2 ** 22 + 1, heartbeatAt: new Date() } });
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    for (const name of partialFileNames(job.fileName)) fs.writeFileSync(testRoot("var/backup", name), "partial");

    await expect(enqueueBackup(settings, null)).resolves.toBeDefined();
    const dead = await prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
    expect(dead.status).toBe("failed");
    expect(dead.error).toMatch(/stopped unexpectedly/);
    expect(fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".part"))).toEqual([]);
  });

  it("fails a queued job whose process never started", async () => {
    const settings = await loadSettings();
    const job = await enqueueBackup(settings, null);
    expect(await reapStaleJobs(settings)).toBe(0);
    expect(await reapStaleJobs(settings, Date.now() + START_TIMEOUT_MS + 1000)).toBe(1);
    const failed = await prisma.backup.findUniqueOrThrow({ where: { id: job.id } });
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/never started/);
  });
});
