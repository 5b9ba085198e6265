import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup, enqueueRestore } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { ArchiveRejectedError, inspectArchive } from "@/lib/backup/restore/inspect";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { configure, resetBackups, testRoot } from "./helpers/fixtures";
import { rawSnapshot, seeded } from "./helpers/raw-trees";

const asRoot = process.getuid!() === 0;
const MODES = [0o644, 0o600, 0o755, 0o444, 0o640, 0o4755, 0o2750, 0o700, 0o1644];

async function backUp(): Promise<string> {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(done.error).toBeNull();
  expect(done.status).toBe("completed");
  return done.fileName;
}

/**
 * 1,500 small files (the writer thread takes them 64 at a time, so many full batches and a partial last
 * one), each with its own mode, date and owner, sizes from empty to the largest a batch takes and just
 * past it, between folders with modes of their own.
 */
function smallFileTree(root: string): void {
  const r = seeded(11);
  fs.rmSync(root, { recursive: true, force: true });
  for (let d = 0; d < 30; d++) {
    const dir = path.join(root, `d${d}`, `sub${d % 7}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 50; i++) {
      const n = d * 50 + i;
      const size = n === 7 ? 64 * 1024 : n === 8 ? 64 * 1024 + 1 : n % 10 === 0 ? 0 : r.int(1, 6000);
      const file = path.join(dir, `f${i}.${n % 3 ? "txt" : "bin"}`);
      fs.writeFileSync(file, n % 3 ? Buffer.from(`line ${n}\n`.repeat(size).slice(0, size)) : randomBytes(size));
      if (asRoot) fs.chownSync(file, r.pick([0, 1000, 65534]), r.pick([0, 1000, 65534]));
      fs.chmodSync(file, r.pick(MODES));
      const when = new Date(Date.UTC(2010, 0, 1) + r.int(0, 400_000_000) * 1000 + r.int(0, 999));
      fs.utimesSync(file, when, when);
    }
    fs.chmodSync(dir, r.pick([0o755, 0o750, 0o2775]));
  }
}

describe("small files written by the restore's writer thread", () => {
  beforeEach(async () => {
    await resetBackups();
  });

  it("come back with every byte, mode (special bits too), owner and date, after a restore over a changed tree", async () => {
    const root = testRoot("writer-site");
    smallFileTree(root);
    await configure({ fileRoots: ["writer-site"], databaseUrl: "", backupDir: "var/backup" });
    const before = rawSnapshot(root);
    expect(Object.keys(before).length).toBeGreaterThan(1500);
    const fileName = await backUp();

    // Changed since: files deleted, rewritten, their modes and dates moved.
    fs.rmSync(path.join(root, "d3"), { recursive: true });
    fs.writeFileSync(path.join(root, "d4/sub4/f2.txt"), "changed");
    fs.chmodSync(path.join(root, "d5/sub5/f1.txt"), 0o600);
    expect(rawSnapshot(root)).not.toEqual(before);

    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, fileName, "files")).id, { safetyBackup: false }, settings);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(rawSnapshot(root)).toEqual(before);
  });

  it("never write over or through what already sits where a file goes: the restore stops with the entry's name, the other side untouched", async () => {
    const root = testRoot("writer-site");
    smallFileTree(root);
    await configure({ fileRoots: ["writer-site"], databaseUrl: "", backupDir: "var/backup" });
    const fileName = await backUp();

    const outside = testRoot("writer-outside.txt");
    fs.writeFileSync(outside, "not the restore's to change");
    const staging = testRoot("writer-staging");
    fs.rmSync(staging, { recursive: true, force: true });
    // A link where a small file of a late batch goes: the writer must refuse it, not follow it.
    fs.mkdirSync(path.join(staging, "d29/sub1"), { recursive: true });
    fs.symlinkSync(outside, path.join(staging, "d29/sub1/f40.txt"));

    const archive = await inspectArchive(testRoot("var/backup", fileName));
    try {
      const staged = verifyAndStage(archive, { fileRoots: new Map([["writer-site", staging]]), databaseFile: null, onBytes: () => {} });
      await expect(staged).rejects.toThrow(ArchiveRejectedError);
      await expect(staged).rejects.toThrow(/files\/writer-site\/d29\/sub1\/f40\.txt could not be written: EEXIST/);
    } finally {
      await archive.close();
    }
    expect(fs.readFileSync(outside, "utf8")).toBe("not the restore's to change");
    expect(fs.lstatSync(path.join(staging, "d29/sub1/f40.txt")).isSymbolicLink()).toBe(true);
  });
});
