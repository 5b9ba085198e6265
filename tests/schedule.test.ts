import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { loadSettings } from "@/lib/settings";
import { cronProblem, dueSlot, nextRuns } from "@/lib/schedule/plan";
import { tick } from "@/lib/schedule/runner";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";

const at = (iso: string) => new Date(iso);

describe("when scheduled backups are due", () => {
  it("gives the next runs in the schedule's time zone", () => {
    expect(nextRuns("0 0 * * *", "Europe/Paris", at("2026-11-23T12:00:00Z"), 2).map((d) => d.toISOString())).toEqual([
      "2026-11-23T23:00:00.000Z",
      "2026-11-24T23:00:00.000Z",
    ]);
    expect(nextRuns("0 2 * * 0", "UTC", at("2026-11-23T12:00:00Z"), 1)[0]!.toISOString()).toBe("2026-11-29T02:00:00.000Z");
    expect(cronProblem("61 * * * *", "UTC")).not.toBeNull();
    expect(cronProblem("0 0 * * *", "Mars/Olympus")).not.toBeNull();
  });

  it("finds one slot however many were missed, and none before it is time", () => {
    expect(dueSlot("0 0 * * *", "UTC", at("2026-11-23T12:00:00Z"), at("2026-11-23T23:59:00Z"))).toBeNull();
    expect(dueSlot("0 0 * * *", "UTC", at("2026-11-23T12:00:00Z"), at("2026-11-24T00:00:30Z"))?.toISOString()).toBe("2026-11-24T00:00:00.000Z");
    expect(dueSlot("0 0 * * *", "UTC", at("2026-11-20T12:00:00Z"), at("2026-11-24T08:00:00Z"))?.toISOString()).toBe("2026-11-21T00:00:00.000Z");
  });
});

describe("the scheduler", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({
      fileRoots: ["site"],
      databaseUrl: "",
      backupDir: "var/backup",
      smtpHost: "",
      scheduleDaily: "0 0 * * *",
      scheduleWeekly: "",
      scheduleTimezone: "UTC",
    });
    await prisma.setting.deleteMany({ where: { key: { startsWith: "scheduleState:" } } });
  });
  const backups = () => prisma.backup.count({ where: { kind: "backup" } });

  it("runs each due slot once: not before, not twice, not again after a restart, once after a long pause", async () => {
    expect(await tick(at("2026-11-23T12:00:00Z"))).toEqual([]); // first look: starts counting from now
    expect(await tick(at("2026-11-23T23:59:00Z"))).toEqual([]);
    const first = await tick(at("2026-11-24T00:00:20Z"));
    expect(first).toMatchObject([{ schedule: "daily", slot: "2026-11-24T00:00:00.000Z", result: "completed" }]);
    expect(await backups()).toBe(1);
    // The same minute again (a second process, or a restart: the state is in the database) runs nothing.
    expect(await tick(at("2026-11-24T00:00:50Z"))).toEqual([]);
    expect(await backups()).toBe(1);
    // Down for three days: one catch-up run, not three.
    expect(await tick(at("2026-11-27T09:00:00Z"))).toHaveLength(1);
    expect(await tick(at("2026-11-27T09:01:00Z"))).toEqual([]);
    expect(await backups()).toBe(2);
  });

  it("never overlaps a running job: the due run is skipped and says why", async () => {
    await tick(at("2026-11-23T12:00:00Z"));
    const holder = await enqueueBackup(await loadSettings(), null);
    const outcome = await tick(at("2026-11-24T00:00:10Z"));
    expect(outcome).toMatchObject([{ schedule: "daily", result: "skipped" }]);
    expect(outcome[0]!.detail).toMatch(/already queued/);
    expect(await backups()).toBe(1);
    expect((await prisma.backup.findUniqueOrThrow({ where: { id: holder.id } })).status).toBe("queued");
  });
});
