import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { reapStaleJobs } from "@/lib/backup/jobs/reaper";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { startBackgroundBackup } from "@/lib/backup/jobs/start";
import { listBackups } from "@/lib/backup/jobs/list";
import { loadSettings } from "@/lib/settings";
import { configure, makeFileTree, resetBackups, sha256, testRoot } from "./helpers/fixtures";
import { isOpen, readBackup, waitFor } from "./helpers/wait";

const filesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);
const leftovers = (dir: string) => filesIn(dir).filter((f) => f.endsWith(".zip") || f.endsWith(".part"));

/** A site database big enough that dumping it and compressing the dump lasts a few seconds. */
function makeBigSqlite(file: string, megabytes: number) {
  const db = new Database(file);
  db.exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, body BLOB)");
  const insert = db.prepare("INSERT INTO blobs (body) VALUES (?)");
  db.transaction(() => {
    for (let i = 0; i < megabytes * 16; i++) insert.run(randomBytes(64 * 1024));
  })();
  db.close();
}

async function killAndExpectReaped(id: number, pid: number) {
  const settings = await loadSettings();
  process.kill(pid, "SIGKILL");
  const failed = await waitFor(
    () => reapStaleJobs(settings).then(readBackup(id)),
    (b) => b.status === "failed",
    10_000,
  );
  expect(failed.error).toMatch(/background process stopped unexpectedly/);
  expect(failed.exclusiveSlot).toBeNull();
  expect(leftovers(testRoot("var/backup"))).toEqual([]);
  // Nothing half-written is listed as a backup.
  expect((await listBackups(1)).items.filter((b) => b.status === "completed")).toEqual([]);
  return failed;
}

async function nextBackupCompletes() {
  fs.rmSync(testRoot("site"), { recursive: true, force: true });
  makeFileTree(testRoot("site"));
  await configure({ databaseUrl: "", fileRoots: ["site"] });
  const next = await startBackgroundBackup(await loadSettings(), null);
  const done = await waitFor(readBackup(next.id), (b) => !isOpen(b.status));
  expect(done.status).toBe("completed");
}

describe("the worker killed with SIGKILL in each phase", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "var", "db"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    delete process.env.SAFEKEEP_TEST_HOLD_PHASE;
    delete process.env.SAFEKEEP_TEST_HOLD_FILE;
  });

  it("dumping: a big database being dumped", async () => {
    fs.mkdirSync(testRoot("db"), { recursive: true });
    makeBigSqlite(testRoot("db/site.db"), 96);
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/site.db", backupDir: "var/backup", runtimeBinary: process.execPath });
    const started = await startBackgroundBackup(await loadSettings(), null);
    const dumping = await waitFor(readBackup(started.id), (b) => b.phase === "dumping" || !isOpen(b.status));
    expect(dumping.phase).toBe("dumping");
    expect(filesIn(testRoot("var/backup")).some((f) => f.endsWith(".part"))).toBe(true);
    await killAndExpectReaped(started.id, dumping.pid!);
    await nextBackupCompletes();
  });

  it("archiving: big files being compressed", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 60, bigFileBytes: 4_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: process.execPath });
    const started = await startBackgroundBackup(await loadSettings(), null);
    const archiving = await waitFor(readBackup(started.id), (b) => (b.phase === "archiving" && b.bytesDone > 0) || !isOpen(b.status));
    expect(archiving.phase).toBe("archiving");
    await killAndExpectReaped(started.id, archiving.pid!);
    await nextBackupCompletes();
  });

  it("finalizing: held there by the test-only hold, the archive nearly written", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 3, bigFileBytes: 1_000_000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: process.execPath });
    const holdFile = testRoot("hold");
    process.env.SAFEKEEP_TEST_HOLD_PHASE = "finalizing";
    process.env.SAFEKEEP_TEST_HOLD_FILE = holdFile;
    const started = await startBackgroundBackup(await loadSettings(), null);
    delete process.env.SAFEKEEP_TEST_HOLD_PHASE;
    await waitFor(() => fs.existsSync(holdFile), Boolean, 60_000);
    const part = filesIn(testRoot("var/backup")).find((f) => f.endsWith(".zip.part"));
    expect(part).toBeDefined();
    expect(fs.statSync(testRoot("var/backup", part!)).size).toBeGreaterThan(3_000_000);
    await killAndExpectReaped(started.id, (await readBackup(started.id)()).pid!);
    await nextBackupCompletes();
  });
});

describe("two requests at once", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "var"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
  });

  /** Starts `clis` command-line backups (and one from the portal) at once; returns how each ended. */
  async function race(clis: number, withPortal: boolean) {
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", runtimeBinary: process.execPath });
    // Whoever wins stays in finalizing, so no loser can slip in after it ends.
    const holdFile = testRoot("hold");
    fs.rmSync(holdFile, { force: true });
    const env = { ...process.env, SAFEKEEP_TEST_HOLD_PHASE: "finalizing", SAFEKEEP_TEST_HOLD_FILE: holdFile };
    const children = Array.from({ length: clis }, () => {
      const child = spawn(process.execPath, [process.env.SAFEKEEP_CLI!, "backup:create", "--json"], { env });
      let out = "";
      let err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      const done = new Promise<{ pid: number; code: number | null; out: string; err: string }>((r) =>
        child.on("exit", (code) => r({ pid: child.pid!, code, out, err })),
      );
      return { child, done };
    });
    const portal = withPortal
      ? await enqueueBackup(await loadSettings(), null).then(
          () => null,
          (e: Error) => e.message,
        )
      : undefined;
    // The one that won is held in finalizing (a CLI) or queued (the portal): stop it once it is there.
    const portalWon = portal === null;
    // Every loser must have tried (and ended) while the winner still holds the slot: only then stop the
    // winner, so a command line slow to start cannot find the slot free and run after it.
    const ended: { pid: number; code: number | null; out: string; err: string }[] = [];
    for (const c of children) void c.done.then((e) => ended.push(e));
    const losers = portalWon ? clis : clis - 1;
    await waitFor(() => ended.length >= losers && (portalWon || fs.existsSync(holdFile)), Boolean, 45_000).catch(async (e) => {
      throw new Error(`${e}; ended ${JSON.stringify(ended)}; jobs ${JSON.stringify(await prisma.backup.findMany())}`);
    });
    const winner = await prisma.backup.findFirstOrThrow();
    if (!portalWon) process.kill(winner.pid!, "SIGKILL");
    const ends = await Promise.all(children.map((c) => c.done));
    return { portal, ends, winner };
  }

  it("from three command lines at the same instant: exactly one runs, the others get a clear message", async () => {
    const { ends, winner } = await race(3, false);
    const losers = ends.filter((e) => e.code === 3);
    expect(losers).toHaveLength(2);
    for (const l of losers) expect(JSON.parse(l.out).error).toMatchObject({ code: "busy", message: expect.stringMatching(/already/) });
    expect(ends.find((e) => e.code !== 3)!.pid).toBe(winner.pid);
    expect(await prisma.backup.count()).toBe(1);
  });

  it("from the command line and the portal at once: exactly one runs, the other is told why", async () => {
    const { portal, ends } = await race(1, true);
    const cliLost = ends[0]!.code === 3;
    const portalLost = portal !== null;
    expect(cliLost !== portalLost).toBe(true);
    if (portalLost) expect(portal).toMatch(/already (queued|running)/);
    else expect(JSON.parse(ends[0]!.out).error.message).toMatch(/already/);
    expect(await prisma.backup.count()).toBe(1);
  });
});

describe("disk full and unwritable backup directory", () => {
  const mountPoint = () => testRoot("small");
  let mounted = false;

  function mount(options: string): boolean {
    fs.mkdirSync(mountPoint(), { recursive: true });
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", mountPoint()], { stdio: "ignore" });
      mounted = true;
      return true;
    } catch {
      return false;
    }
  }

  afterEach(() => {
    if (mounted) execFileSync("umount", [mountPoint()]);
    mounted = false;
  });
  afterAll(() => fs.rmSync(mountPoint(), { recursive: true, force: true }));

  beforeEach(async () => {
    await resetBackups();
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
  });

  it("a full disk fails the backup with a message that says so, and keeps the earlier backup intact", async (ctx) => {
    if (!mount("size=2m,mode=0700")) ctx.skip("mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)");
    fs.mkdirSync(testRoot("site"), { recursive: true });
    fs.writeFileSync(testRoot("site/small.txt"), "small\n");
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "small/backup" });
    const settings = await loadSettings();
    const earlier = await runBackup((await enqueueBackup(settings, null)).id, settings);
    expect(earlier.status).toBe("completed");
    const earlierFile = testRoot("small/backup", earlier.fileName);
    const earlierHash = sha256(fs.readFileSync(earlierFile));

    // 4 MB that does not compress, on a 2 MB disk.
    fs.writeFileSync(testRoot("site/noise.bin"), randomBytes(4_000_000));
    const failed = await runBackup((await enqueueBackup(settings, null)).id, settings);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/The disk is full/);
    expect(failed.exclusiveSlot).toBeNull();
    expect(filesIn(testRoot("small/backup")).filter((f) => f.endsWith(".part"))).toEqual([]);
    expect(filesIn(testRoot("small/backup")).filter((f) => f.endsWith(".zip"))).toEqual([earlier.fileName]);
    expect((await listBackups(1)).items.filter((b) => b.status === "completed").map((b) => b.fileName)).toEqual([earlier.fileName]);
    expect(sha256(fs.readFileSync(earlierFile))).toBe(earlierHash);
  });

  it("a read-only backup directory fails the backup with a message that says so", async (ctx) => {
    if (!mount("size=1m,ro")) ctx.skip("mounting a tmpfs is not allowed here (needs root or CAP_SYS_ADMIN)");
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "small" });
    const settings = await loadSettings();
    const failed = await runBackup((await enqueueBackup(settings, null)).id, settings);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/read-only/);
    expect(failed.exclusiveSlot).toBeNull();
    expect(filesIn(mountPoint())).toEqual([]);
  });
});
