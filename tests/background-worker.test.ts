import fs from "node:fs";
import { beforeEach, describe, expect, it } from "vitest";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { loadSettings } from "@/lib/settings";
import { clearSiteAndVar, configure, makeFileTree, makeUser, testRoot } from "./helpers/fixtures";
import { alive, readBackup, waitFor } from "./helpers/wait";

describe("the background process", () => {
  beforeEach(clearSiteAndVar);

  it("runs detached, reports progress and ends completed with the archive in place", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 20, bigFileBytes: 2_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: process.execPath });
    const admin = await makeUser("admin");
    const started = await startBackgroundBackup(await loadSettings(), admin.id);
    expect(["queued", "running"]).toContain(started.status);
    expect(started.pid).toBeGreaterThan(0);
    expect(started.pid).not.toBe(process.pid);

    const seen = new Set<string>();
    const done = await waitFor(readBackup(started.id), (b) => {
      seen.add(b.phase);
      return b.status !== "queued" && b.status !== "running";
    });
    expect(done.error).toBeNull();
    expect(done.status).toBe("completed");
    expect(done.percent).toBe(100);
    expect(done.bytesDone).toBeGreaterThanOrEqual(40_000_000);
    expect(done.requestedById).toBe(admin.id);
    expect(fs.statSync(testRoot("var/backup", done.fileName)).size).toBe(done.sizeBytes);
    expect(seen.size).toBeGreaterThan(1);
    // After marking the job completed the worker applies retention and sends the mail, then exits.
    await waitFor(
      () => alive(started.pid!),
      (a) => !a,
    );
  });

  it("marks a backup failed and removes the partial archive when its process is killed", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 60, bigFileBytes: 4_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: process.execPath });
    const settings = await loadSettings();
    const started = await startBackgroundBackup(settings, null);

    const running = await waitFor(readBackup(started.id), (b) => b.phase === "archiving" && b.bytesDone > 0);
    const partial = fs.readdirSync(testRoot("var/backup")).filter((f) => f.endsWith(".part"));
    expect(partial.length).toBeGreaterThan(0);
    process.kill(running.pid!, "SIGKILL");
    await waitFor(
      async () => {
        try {
          process.kill(running.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      Boolean,
      5000,
    ).catch(() => undefined);

    await waitFor(
      () => reapStaleJobs(settings).then(() => readBackup(started.id)()),
      (b) => b.status === "failed",
      10_000,
    );
    const failed = await readBackup(started.id)();
    expect(failed.error).toMatch(/stopped unexpectedly/);
    expect(failed.exclusiveSlot).toBeNull();
    const left = fs.readdirSync(testRoot("var/backup"));
    expect(left.filter((f) => f.endsWith(".zip") || f.endsWith(".part"))).toEqual([]);

    // The next backup can start and finish.
    fs.rmSync(testRoot("site/big"), { recursive: true });
    const next = await startBackgroundBackup(settings, null);
    const done = await waitFor(readBackup(next.id), (b) => b.status !== "queued" && b.status !== "running");
    expect(done.status).toBe("completed");
    await waitFor(
      () => alive(next.pid!),
      (a) => !a,
    );
  });

  it("fails at once with a clear message when the runtime binary does not exist", async () => {
    await configure({ fileRoots: [], backupDir: "var/backup", runtimeBinary: "/nonexistent/node" });
    const backup = await startBackgroundBackup(await loadSettings(), null);
    expect(backup.status).toBe("failed");
    expect(backup.error).toMatch(/Could not start the background process with "\/nonexistent\/node"/);
    expect(backup.exclusiveSlot).toBeNull();
  });
});
