import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { loadSettings } from "@/lib/settings";
import { tick } from "@/lib/schedule/runner";
import { runInBackground, startPortalScheduler } from "@/lib/schedule/portal-scheduler";
import { recordSchedulerHeartbeat, schedulerStatus } from "@/lib/schedule/heartbeat";
import { configure, freshSite, makeFileTree, testRoot } from "./helpers/fixtures";
import { alive, isOpen, readBackup, waitFor } from "./helpers/wait";

const at = (iso: string) => new Date(iso);
const backups = () => prisma.backup.findMany({ where: { kind: "backup" } });

/** The daily slot of 2026-11-24 00:00 UTC is due: the last run was the day before. */
async function dueYesterday() {
  await prisma.setting.deleteMany({ where: { key: { startsWith: "scheduleState:" } } });
  await prisma.setting.create({ data: { key: "scheduleState:daily", value: JSON.stringify("2026-11-23T12:00:00.000Z") } });
}

describe("the scheduler inside the portal", () => {
  beforeEach(async () => {
    await freshSite();
    makeFileTree(testRoot("site"));
    await configure({
      fileRoots: ["site"],
      databaseUrl: "",
      backupDir: "var/backup",
      runtimeBinary: process.execPath,
      scheduleDaily: "0 0 * * *",
      scheduleWeekly: "",
      scheduleTimezone: "UTC",
    });
    await prisma.setting.deleteMany({ where: { key: "schedulerHeartbeat" } });
    await dueYesterday();
  });

  it("hands the due backup to a detached background process, never running it in its own", async () => {
    const [outcome] = await tick(at("2026-11-24T00:00:20Z"), runInBackground);
    expect(outcome).toMatchObject({ schedule: "daily", slot: "2026-11-24T00:00:00.000Z", result: "started" });
    const [job] = await backups();
    expect(job!.requestedById).toBeNull();
    expect(job!.pid).toBeGreaterThan(0);
    expect(job!.pid).not.toBe(process.pid);
    const done = await waitFor(readBackup(job!.id), (b) => !isOpen(b.status));
    expect(done.status).toBe("completed");
    await waitFor(
      () => alive(done.pid!),
      (a) => !a,
    );
  });

  it("and a command-line scheduler looking at the same moment run the slot once between them", async () => {
    const now = at("2026-11-24T00:00:20Z");
    const [portal, cli] = await Promise.all([tick(now, runInBackground), tick(now)]);
    // Exactly one of them claimed the slot; the other did nothing at all (not even a "skipped").
    expect([...portal, ...cli]).toHaveLength(1);
    expect(await backups()).toHaveLength(1);
    const [job] = await backups();
    const ended = await waitFor(readBackup(job!.id), (b) => !isOpen(b.status));
    // A background worker still sending its mail would write into the next test's directory.
    if (ended.pid && ended.pid !== process.pid)
      await waitFor(
        () => alive(ended.pid!),
        (a) => !a,
      );
    // Both again a minute later, and a restart: the slot is spent.
    expect([...(await tick(at("2026-11-24T00:01:20Z"), runInBackground)), ...(await tick(at("2026-11-24T00:01:20Z")))]).toEqual([]);
    expect(await backups()).toHaveLength(1);
  });

  it("writes a heartbeat the health line reads: running in the portal with the next backup, or a warning saying what to do", async () => {
    const settings = await loadSettings();
    expect(await schedulerStatus(settings)).toMatchObject({ state: "missing" });
    expect((await schedulerStatus(settings)).sentence).toMatch(/no scheduler has looked yet.*npm start.*SCHEDULER=off.*npm run schedule/);

    const lines: string[] = [];
    const stopOff = startPortalScheduler({ env: { SCHEDULER: "off" }, log: (l) => lines.push(l) });
    stopOff();
    expect(lines.join("\n")).toMatch(/off in the portal/);
    expect(await prisma.setting.findUnique({ where: { key: "schedulerHeartbeat" } })).toBeNull();

    const stop = startPortalScheduler({ env: {}, intervalMs: 60_000, log: (l) => lines.push(l) });
    try {
      const status = await waitFor(
        () => schedulerStatus(settings),
        (s) => s.state === "running",
      );
      expect(status).toMatchObject({ where: "portal", sentence: "running in the portal" });
      expect(new Date(status.nextRunAt!).getUTCHours()).toBe(0);
      expect(new Date(status.nextRunAt!).getTime()).toBeGreaterThan(Date.now());
    } finally {
      stop();
    }
    // Ten minutes without a look: taken as gone, and said so.
    await recordSchedulerHeartbeat("command line", 30_000, new Date(Date.now() - 10 * 60_000));
    const stale = await schedulerStatus(settings);
    expect(stale.state).toBe("missing");
    expect(stale.sentence).toMatch(/^no scheduler has looked since \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    // A real due slot was found by the portal's first look: its backup ran in the background.
    const jobs = await backups();
    if (jobs[0]) {
      const ended = await waitFor(readBackup(jobs[0].id), (b) => !isOpen(b.status));
      if (ended.pid && ended.pid !== process.pid)
        await waitFor(
          () => alive(ended.pid!),
          (a) => !a,
        );
    }
  });
});
