import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import type { BackupLog } from "@/lib/backup/jobs/log";
import { manifestSchema } from "@/lib/backup/archive/manifest";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { walkRoots } from "@/lib/backup/archive/walk";
import { loadSettings } from "@/lib/settings";
import { clearSiteAndVar, configure, testRoot, unzipTo } from "./helpers/fixtures";

function recordingLog() {
  const warnings: string[] = [];
  const log: BackupLog = { info() {}, warn: (m) => warnings.push(m), error() {} };
  return { log, warnings };
}

function readManifest(archive: string) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "faults-"));
  unzipTo(archive, out);
  return { out, manifest: manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"))) };
}

/** Walks the site, lets `meddle` change it, then archives what the walk found. */
async function archiveAfter(meddle: () => void, onBytes: (n: number) => void = () => {}) {
  const site = testRoot("site");
  const walk = await walkRoots([site], []);
  meddle();
  const { log, warnings } = recordingLog();
  const dir = testRoot("var/out");
  fs.mkdirSync(dir, { recursive: true });
  const outFile = path.join(dir, `a-${Date.now()}-${Math.random()}.zip`);
  const result = await writeBackupArchive({
    partFile: `${outFile}.part`,
    outFile,
    backupName: "t",
    walk,
    database: null,
    level: 6,
    log,
    onBytes,
    onPhase() {},
  });
  execFileSync("unzip", ["-tq", outFile]);
  return { outFile, result, warnings };
}

function writeSite(files: Record<string, Buffer | string>) {
  for (const [rel, data] of Object.entries(files)) {
    const abs = testRoot("site", rel);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, data);
  }
}

describe("a backup of a site that misbehaves", () => {
  beforeEach(clearSiteAndVar);

  it("skips a file deleted between the walk and the read, with a warning, and keeps the rest", async () => {
    writeSite({ "keep.txt": "kept\n", "gone.txt": "soon gone\n" });
    const { outFile, result, warnings } = await archiveAfter(() => fs.rmSync(testRoot("site/gone.txt")));
    expect(warnings.join("\n")).toMatch(/gone\.txt could not be read \(ENOENT\); skipped/);
    expect(result.warnings).toEqual(warnings);
    const { out, manifest } = readManifest(outFile);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
    expect(fs.readFileSync(path.join(out, "files/site/keep.txt"), "utf8")).toBe("kept\n");
  });

  it("skips a file that became a directory (unreadable as a file), with a warning", async () => {
    writeSite({ "keep.txt": "kept\n", "turned.txt": "a file for now\n" });
    const { outFile, warnings } = await archiveAfter(() => {
      fs.rmSync(testRoot("site/turned.txt"));
      fs.mkdirSync(testRoot("site/turned.txt"));
    });
    expect(warnings.join("\n")).toMatch(/turned\.txt is no longer a regular file; skipped/);
    expect(readManifest(outFile).manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
  });

  it("skips a file replaced by a FIFO without hanging on it", async () => {
    writeSite({ "keep.txt": "kept\n", pipe: "a file for now\n" });
    const { outFile, warnings } = await archiveAfter(() => {
      fs.rmSync(testRoot("site/pipe"));
      execFileSync("mkfifo", [testRoot("site/pipe")]);
    });
    expect(warnings.join("\n")).toMatch(/pipe is no longer a regular file; skipped/);
    expect(readManifest(outFile).manifest.files.map((f) => f.entry)).toEqual(["files/site/keep.txt"]);
  });

  // A file that grows or shrinks while read: tests/archive-engine.test.ts (small files are read whole, in one go).

  it("completes a full backup past a FIFO and symlink loops, warning about the FIFO in log and manifest", async () => {
    writeSite({ "index.html": "<p>hi</p>\n" });
    execFileSync("mkfifo", [testRoot("site/queue.fifo")]);
    fs.symlinkSync("loop-b", testRoot("site/loop-a"));
    fs.symlinkSync("loop-a", testRoot("site/loop-b"));
    fs.symlinkSync(".", testRoot("site/self"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const settings = await loadSettings();
    const backup = await runBackup((await enqueueBackup(settings, null)).id, settings);

    expect(backup.error).toBeNull();
    expect(backup.status).toBe("completed");
    const archive = testRoot("var/backup", backup.fileName);
    execFileSync("unzip", ["-tq", archive]);
    const { manifest } = readManifest(archive);
    expect(manifest.files.map((f) => f.entry)).toEqual(["files/site/index.html"]);
    expect(manifest.symlinks.map(({ entry, target }) => ({ entry, target }))).toEqual([
      { entry: "files/site/loop-a", target: "loop-b" },
      { entry: "files/site/loop-b", target: "loop-a" },
      { entry: "files/site/self", target: "." },
    ]);
    expect(manifest.warnings.join("\n")).toMatch(/queue\.fifo is a FIFO \(named pipe\), which a backup cannot hold; left out/);
    const log = fs.readFileSync(testRoot("var/backup", backup.fileName.replace(".zip", ".log")), "utf8");
    expect(log).toMatch(/WARN .*queue\.fifo is a FIFO/);
  });
});
