import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeEach, describe, expect, it } from "vitest";
import { enqueueBackup } from "@/lib/backup/jobs/queue";
import { manifestSchema } from "@/lib/backup/archive/manifest";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { loadSettings } from "@/lib/settings";
import { clearSiteAndVar, configure, makeFileTree, makeSqliteDatabase, sha256, testRoot, unzipTo } from "./helpers/fixtures";

async function backUp() {
  const settings = await loadSettings();
  const queued = await enqueueBackup(settings, null);
  return runBackup(queued.id, settings);
}

describe("a backup archive", () => {
  beforeEach(clearSiteAndVar);

  it("holds the live database and every file byte for byte, and its manifest's checksums match", async () => {
    const files = makeFileTree(testRoot("site"), { bigFiles: 3, bigFileBytes: 2_000_000 });
    fs.symlinkSync("index.html", testRoot("site/link-to-index"));
    makeSqliteDatabase(testRoot("db/app.db"), 20_000);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });

    // The site keeps writing while the backup runs: the dump must still be a consistent database.
    const writer = new Database(testRoot("db/app.db"));
    const insert = writer.prepare("INSERT INTO posts (title, body) VALUES ('written during backup', x'00')");
    const timer = setInterval(() => insert.run(), 1);
    const backup = await backUp().finally(() => clearInterval(timer));
    writer.close();

    expect(backup.error).toBeNull();
    expect(backup.status).toBe("completed");
    const archive = testRoot("var/backup", backup.fileName);
    expect(backup.fileName).toMatch(/^safekeep-\d{8}-\d{6}-\d+\.zip$/);

    // A standard unzip reads it and finds no error.
    execFileSync("unzip", ["-tq", archive]);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "unzipped-"));
    unzipTo(archive, out);

    for (const [rel, data] of files) {
      expect(fs.readFileSync(path.join(out, "files/site", rel)).equals(data), rel).toBe(true);
    }
    expect(fs.statSync(path.join(out, "files/site/empty-dir/nested-empty")).isDirectory()).toBe(true);
    expect(fs.readlinkSync(path.join(out, "files/site/link-to-index"))).toBe("index.html");

    const manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")));
    expect(manifest.files.map((f) => f.entry).sort()).toEqual([...files.keys()].map((rel) => `files/site/${rel}`).sort());
    for (const entry of manifest.files) {
      const bytes = fs.readFileSync(path.join(out, entry.entry));
      expect(sha256(bytes), entry.entry).toBe(entry.sha256);
      expect(bytes.length).toBe(entry.size);
    }
    expect(manifest.directories.map((d) => d.entry)).toContain("files/site/empty-dir/nested-empty/");
    expect(manifest.symlinks.map(({ entry, target }) => ({ entry, target }))).toEqual([{ entry: "files/site/link-to-index", target: "index.html" }]);

    const dump = path.join(out, manifest.database!.entry);
    expect(sha256(fs.readFileSync(dump))).toBe(manifest.database!.sha256);
    const restored = new Database(dump, { readonly: true });
    expect(restored.pragma("integrity_check", { simple: true })).toBe("ok");
    expect((restored.prepare("SELECT count(*) AS n FROM posts").get() as { n: number }).n).toBeGreaterThanOrEqual(20_000);
    restored.close();

    // The record describes the file on disk.
    const onDisk = fs.readFileSync(archive);
    expect(backup.sha256).toBe(sha256(onDisk));
    expect(backup.sizeBytes).toBe(onDisk.length);
    expect(fs.statSync(archive).mode & 0o777).toBe(0o600);
    expect(fs.statSync(testRoot("var/backup")).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(testRoot("var/backup", backup.fileName.replace(".zip", ".log")), "utf8")).toContain("Completed");
  });

  it("leaves out what the exclude globs name", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 2, bigFileBytes: 1000 });
    await configure({ fileRoots: ["site"], databaseUrl: "", excludeGlobs: ["big/**", "**/*.md"], backupDir: "var/backup" });
    const backup = await backUp();
    const listing = execFileSync("unzip", ["-Z1", testRoot("var/backup", backup.fileName)], { encoding: "utf8" });
    expect(listing).toContain("files/site/index.html");
    expect(listing).not.toContain("big/blob-0.bin");
    expect(listing).not.toContain("notes.md");
    // An empty database URL means the portal's own database.
    expect(listing).toContain("database/portal.sqlite");
  });

  it("fails with a clear message and leaves nothing behind when the database is missing", async () => {
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/does-not-exist.db", backupDir: "var/backup" });
    const backup = await backUp();
    expect(backup.status).toBe("failed");
    expect(backup.error).toMatch(/does-not-exist\.db does not exist.*database URL/);
    const left = fs.readdirSync(testRoot("var/backup"));
    expect(left.filter((f) => f.endsWith(".zip") || f.endsWith(".part"))).toEqual([]);
    expect(backup.exclusiveSlot).toBeNull();
  });
});
