import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { cancelBackup } from "@/lib/backup/jobs/cancel";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { loadSettings } from "@/lib/settings";
import { clearSiteAndVar, configure, makeFileTree, testRoot } from "./helpers/fixtures";
import { alive, isOpen, readBackup, waitFor } from "./helpers/wait";

const backupDirFiles = () => (fs.existsSync(testRoot("var/backup")) ? fs.readdirSync(testRoot("var/backup")) : []);
const archivesAndParts = () => backupDirFiles().filter((f) => f.endsWith(".zip") || f.endsWith(".part"));

/**
 * A runtime "binary" that leads the worker's process group and leaves in it a helper that ignores SIGTERM
 * and is not a descendant of the worker: only killing the group, and escalating to SIGKILL, stops it.
 */
function wrapperRuntime(pidFile: string): string {
  const file = testRoot("bin/node-wrapper.sh");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `#!/bin/sh\n(trap '' TERM; exec sleep 300) &\necho $! > '${pidFile}'\n'${process.execPath}' "$@"\n`, { mode: 0o755 });
  return file;
}

describe("cancelling a backup", () => {
  beforeEach(clearSiteAndVar);

  it("stops the portal's background process tree, removes partial files and frees the slot", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 60, bigFileBytes: 4_000_000 });
    const helperPidFile = testRoot("helper.pid");
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: wrapperRuntime(helperPidFile) });
    const settings = await loadSettings();
    const started = await startBackgroundBackup(settings, null);
    const running = await waitFor(readBackup(started.id), (b) => b.phase === "archiving" && b.bytesDone > 0);
    const helperPid = Number(fs.readFileSync(helperPidFile, "utf8"));
    expect(alive(running.pid!)).toBe(true);
    expect(alive(helperPid)).toBe(true);
    expect(archivesAndParts().length).toBeGreaterThan(0);

    const cancelled = await cancelBackup(started.id, settings, "admin@example.test", 1000);

    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.error).toBe("Cancelled by admin@example.test");
    expect(cancelled.exclusiveSlot).toBeNull();
    expect(alive(running.pid!)).toBe(false);
    expect(alive(helperPid)).toBe(false);
    expect(archivesAndParts()).toEqual([]);
    const log = fs.readFileSync(testRoot("var/backup", cancelled.fileName.replace(/\.zip$/, ".log")), "utf8");
    expect(log).toMatch(/Cancelled by admin@example\.test; partial files removed/);

    // The slot is free: the next backup starts and finishes.
    fs.rmSync(testRoot("site/big"), { recursive: true });
    await configure({ runtimeBinary: process.execPath });
    const next = await startBackgroundBackup(await loadSettings(), null);
    const done = await waitFor(readBackup(next.id), (b) => !isOpen(b.status));
    expect(done.status).toBe("completed");
  });

  it("stops a backup started from the command line, found by the pid in its record", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 60, bigFileBytes: 4_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const cli = spawn(process.execPath, [process.env.SAFEKEEP_CLI!, "backup:create"], { env: process.env, stdio: "ignore" });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => cli.on("exit", (code, signal) => resolve(signal ?? code)));
    const running = await waitFor(
      () => prisma.backup.findFirst({ where: { status: "running" } }),
      (b) => b?.phase === "archiving" && b.bytesDone > 0,
    );
    expect(running!.pid).toBe(cli.pid);

    const cancelled = await cancelBackup(running!.id, await loadSettings(), "admin@example.test");
    expect(cancelled.status).toBe("cancelled");
    expect(await exited).toBe("SIGTERM");
    expect(archivesAndParts()).toEqual([]);
    expect(await prisma.backup.count({ where: { exclusiveSlot: { not: null } } })).toBe(0);
  });

  it("cancels a queued job that has no process yet", async () => {
    await configure({ backupDir: "var/backup" });
    const settings = await loadSettings();
    const queued = await enqueueBackup(settings, null);
    const cancelled = await cancelBackup(queued.id, settings, "ann@example.test");
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.exclusiveSlot).toBeNull();
    await expect(enqueueBackup(settings, null)).resolves.toBeDefined();
  });

  it("refuses to cancel a finished backup, and leaves it as it is", async () => {
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], backupDir: "var/backup", runtimeBinary: process.execPath });
    const settings = await loadSettings();
    const started = await startBackgroundBackup(settings, null);
    const done = await waitFor(readBackup(started.id), (b) => !isOpen(b.status));
    expect(done.status).toBe("completed");
    await expect(cancelBackup(done.id, settings, "ann@example.test")).rejects.toMatchObject({ code: "not_active" });
    expect((await readBackup(done.id)()).status).toBe("completed");
    expect(fs.existsSync(testRoot("var/backup", done.fileName))).toBe(true);
    await expect(cancelBackup(999_999, settings, "ann@example.test")).rejects.toThrow("No such backup");
  });
});
