import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { getJob, listJobs } from "@/lib/backup";
import { runMaintenance } from "@/lib/backup/jobs/maintenance";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { runJob } from "@/lib/backup/jobs/run-job";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from "./helpers/smtp";

/** The pid of a process that has exited: what a killed worker leaves in its record. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", "0"]).pid!;
}

describe("the job pipeline", () => {
  let smtpServer: TestSmtpServer;
  let received: ReceivedMail[] = [];
  let port = 0;
  let refuse = false;

  beforeAll(async () => {
    smtpServer = await startSmtpServer({ user: "mailer", password: "smtp-pipeline-pw" }, () => refuse);
    ({ port, received } = smtpServer);
  });
  afterAll(() => smtpServer.close());
  beforeEach(async () => {
    received.length = 0;
    refuse = false;
    await freshSite();
    makeFileTree(testRoot("site"));
  });

  const smtp = () => ({ smtpHost: "127.0.0.1", smtpPort: port, smtpSecure: false, smtpUser: "mailer", smtpPassword: "smtp-pipeline-pw" });

  /** A backup whose worker died mid-run: running, its pid gone, holding the slot. */
  async function deadWorkerJob(requestedById: number | null) {
    const settings = await loadSettings();
    const job = await enqueueBackup(settings, requestedById);
    return prisma.backup.update({ where: { id: job.id }, data: { status: "running", phase: "archiving", pid: deadPid(), heartbeatAt: new Date() } });
  }

  it("a dead worker's job is ended by the maintenance tick and its failure mailed once; reading the list changes nothing", async () => {
    const owner = await makeUser("admin");
    await configure({ ...smtp(), fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const dead = await deadWorkerJob(owner.id);

    // Pages and GET routes only read: the job still shows as running however often it is looked at.
    expect((await getJob(dead.id))!.status).toBe("running");
    expect((await listJobs(1)).items.find((j) => j.id === dead.id)!.status).toBe("running");

    await runMaintenance();
    const ended = (await getJob(dead.id))!;
    expect(ended.status).toBe("failed");
    expect(ended.error).toMatch(/stopped unexpectedly/);
    expect(received.map((m) => m.mail.subject)).toEqual([`Backup FAILED: ${dead.fileName}`]);
    expect(received[0]!.to).toEqual([owner.email]);
    expect(ended.steps.map((s) => [s.name, s.state])).toEqual([["notify", "done"]]);

    await runMaintenance();
    expect(received).toHaveLength(1);
  });

  it("a click that finds the slot held by a dead worker starts its backup and does not send the dead job's mail", async () => {
    const owner = await makeUser("admin");
    const clicker = await makeUser("admin");
    await configure({ ...smtp(), fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const dead = await deadWorkerJob(owner.id);

    const settings = await loadSettings();
    const next = await enqueueBackup(settings, clicker.id);
    expect(next.status).toBe("queued");
    expect((await getJob(dead.id))!.status).toBe("failed");
    expect(received).toHaveLength(0);

    const done = await runJob(next.id, { settings });
    expect(done.status).toBe("completed");
    // The clicker hears about their backup; the dead job's owner hears about theirs from the tick, not from the click.
    expect(received.map((m) => m.to[0])).toEqual([clicker.email]);
    await runMaintenance();
    expect(received.map((m) => m.to[0]).sort()).toEqual([clicker.email, owner.email].sort());
  });

  it("a post-job step that fails shows on the job, and the backup stays completed", async () => {
    const owner = await makeUser("admin");
    await configure({ ...smtp(), fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", maxBackups: 1 });
    const settings = await loadSettings();
    const first = await runJob((await enqueueBackup(settings, owner.id)).id, { settings });
    expect(first.status).toBe("completed");
    refuse = true;
    const second = await runJob((await enqueueBackup(settings, owner.id)).id, { settings });

    const view = (await getJob(second.id))!;
    expect(view.status).toBe("completed");
    expect(view.steps.map((s) => [s.name, s.state])).toEqual([
      ["retention", "done"],
      ["notify", "failed"],
    ]);
    expect(view.steps[0]!.detail).toContain(first.fileName);
    expect(view.steps[1]!.detail).toMatch(/could not be sent/);
    expect(view.steps[1]!.detail).not.toContain("smtp-pipeline-pw");
    // Retention ran as a step of the second backup: the first is gone, file and record.
    expect(await getJob(first.id)).toBeNull();
    expect(fs.existsSync(testRoot("var/backup", first.fileName))).toBe(false);
  });
});

describe("background jobs", () => {
  it("run below the portal's CPU priority, so a backup never starves the pages", async () => {
    await freshSite();
    makeFileTree(testRoot("site"), { bigFiles: 3, bigFileBytes: 2_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    const { startBackgroundBackup } = await import("@/lib/backup/jobs/start");
    const job = await startBackgroundBackup(await loadSettings(), null);
    const stat = fs.readFileSync(`/proc/${job.pid}/stat`, "utf8");
    const niceness = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    expect(niceness).toBe(10);
    const { waitFor } = await import("./helpers/wait");
    await waitFor(
      () => prisma.backup.findUniqueOrThrow({ where: { id: job.id } }),
      (b) => b.status === "completed" || b.status === "failed",
      60_000,
    );
  });
});
