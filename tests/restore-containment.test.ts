import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { walkRoots } from "@/lib/backup/archive/walk";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { enqueueRestore } from "@/lib/backup/jobs/queue";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { craftArchive, craftedManifest, type CraftedEntry } from "./helpers/craft-archive";
import { configure, resetBackups, testRoot, unzipTo } from "./helpers/fixtures";
import { snapshotTree } from "./helpers/trees";

const cli = (args: string[]) => spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { encoding: "utf8", env: process.env });

/** Every file under a folder, with its content: to show that nothing appeared or changed there. */
function everything(dir: string): Record<string, string> {
  return fs.existsSync(dir) ? snapshotTree(dir) : {};
}

describe("a hostile archive cannot write outside the folder it restores", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "victim", "mapped", "outside"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site"), { recursive: true });
    fs.writeFileSync(testRoot("site/index.html"), "live site");
    fs.mkdirSync(testRoot("outside"));
    fs.writeFileSync(testRoot("outside/keep.txt"), "outside the root");
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
  });

  async function expectRefused(name: string, entries: CraftedEntry[], manifest: unknown, message: RegExp) {
    await craftArchive(testRoot("var/backup", name), entries, manifest);
    const site = snapshotTree(testRoot("site"));
    const portal = Object.keys(everything(testRoot()))
      .filter((p) => !p.startsWith("var/"))
      .sort();
    const tmp = fs.readdirSync(os.tmpdir()).sort();

    const verified = cli(["backup:verify", testRoot("var/backup", name)]);
    expect(verified.status).toBe(1);
    expect(verified.stderr).toMatch(message);

    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, name, "files")).id, { safetyBackup: true }, settings);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(message);
    expect(job.safetyFileName).toBeNull();
    expect(snapshotTree(testRoot("site"))).toEqual(site);
    // Nothing new anywhere in the portal's folder (outside var/) or in /tmp.
    expect(
      Object.keys(everything(testRoot()))
        .filter((p) => !p.startsWith("var/"))
        .sort(),
    ).toEqual(portal);
    expect(fs.readdirSync(os.tmpdir()).filter((n) => n.includes("pwned"))).toEqual(tmp.filter((n) => n.includes("pwned")));
    expect(everything(testRoot("outside"))).toEqual({ "keep.txt": expect.any(String) });
  }

  it("refuses links chained under links, each target looking inside when read lexically", async () => {
    // a -> . and a/b -> .. : lexically files/site/a/b is the root, physically the folder above it.
    const entries: CraftedEntry[] = [
      { name: "files/site/a", kind: "symlink", data: "." },
      { name: "files/site/a/b", kind: "symlink", data: ".." },
      { name: "files/site/a/b/outside/pwned.txt", kind: "file", data: "pwned" },
    ];
    // Format 1, which the previous portal accepted too: this is the archive that escaped there.
    await expectRefused(
      "chained.zip",
      entries,
      craftedManifest({
        formatVersion: 1,
        roots: [{ label: "site", path: testRoot("site") }],
        symlinks: [
          { entry: "files/site/a", target: "." },
          { entry: "files/site/a/b", target: ".." },
        ],
        files: [{ entry: "files/site/a/b/outside/pwned.txt", data: "pwned" }],
      }),
      /under the link "a"/,
    );
  });

  it("refuses an entry whose real name (in the manifest) puts it under a link, however innocent its zip name", async () => {
    const entries: CraftedEntry[] = [
      { name: "files/site/door", kind: "symlink", data: testRoot("outside") },
      { name: "files/site/innocent.txt", kind: "file", data: "pwned" },
    ];
    await expectRefused(
      "raw-under-link.zip",
      entries,
      craftedManifest({
        roots: [{ label: "site", path: testRoot("site") }],
        symlinks: [{ entry: "files/site/door", target: testRoot("outside") }],
        files: [{ entry: "files/site/innocent.txt", data: "pwned", raw: Buffer.from("door/keep.txt") }],
      }),
      /under the link "door"/,
    );
  });

  it("refuses a folder entry under a link that points to an existing folder outside", async () => {
    const entries: CraftedEntry[] = [
      { name: "files/site/up", kind: "symlink", data: "../outside" },
      { name: "files/site/up/made-by-archive/", kind: "directory" },
    ];
    await expectRefused(
      "dir-under-link.zip",
      entries,
      craftedManifest({
        formatVersion: 1,
        roots: [{ label: "site", path: testRoot("site") }],
        symlinks: [{ entry: "files/site/up", target: "../outside" }],
        directories: ["files/site/up/made-by-archive/"],
      }),
      /under the link "up"/,
    );
  });

  it("refuses a real name that climbs out (..) of its root", async () => {
    await expectRefused(
      "raw-dotdot.zip",
      [{ name: "files/site/x.txt", kind: "file", data: "pwned" }],
      craftedManifest({
        roots: [{ label: "site", path: testRoot("site") }],
        files: [{ entry: "files/site/x.txt", data: "pwned", raw: Buffer.from("../outside/keep.txt") }],
      }),
      /Unsafe path in the archive: files\/site\/x\.txt \(its real name\)/,
    );
  });
});

describe("staging checks every folder it writes into", () => {
  it("writes nothing through a link that appears in the staging place, whatever put it there", async () => {
    fs.rmSync(testRoot("outside"), { recursive: true, force: true });
    fs.mkdirSync(testRoot("outside"), { recursive: true });
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    const file = testRoot("var/backup", "plain.zip");
    await craftArchive(
      file,
      [
        { name: "files/site/a/", kind: "directory" },
        { name: "files/site/a/x.txt", kind: "file", data: "pwned" },
      ],
      craftedManifest({ roots: [{ label: "site", path: "/x" }], directories: ["files/site/a/"], files: [{ entry: "files/site/a/x.txt", data: "pwned" }] }),
    );
    const staging = fs.mkdtempSync(path.join(os.tmpdir(), "staging-"));
    fs.symlinkSync(testRoot("outside"), path.join(staging, "a"));
    const archive = await inspectArchive(file);
    try {
      await expect(verifyAndStage(archive, { fileRoots: new Map([["site", staging]]), databaseFile: null, onBytes() {} })).rejects.toThrow(
        /under a, which is not a folder/,
      );
    } finally {
      archive.close();
    }
    expect(fs.readdirSync(testRoot("outside"))).toEqual([]);
  });
});

describe("restore targets come from the configuration, never from the archive", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "victim", "mapped"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site"), { recursive: true });
    fs.writeFileSync(testRoot("site/index.html"), "live site");
    fs.mkdirSync(testRoot("victim"));
    fs.writeFileSync(testRoot("victim/precious.db"), "somebody else's data");
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
  });

  const archiveFor = (name: string) =>
    craftArchive(
      testRoot("var/backup", name),
      [{ name: "files/victim/new.txt", kind: "file", data: "from the archive" }],
      craftedManifest({
        // The manifest says where the folder was: the victim's folder. It must not matter.
        roots: [{ label: "victim", path: testRoot("victim") }],
        files: [{ entry: "files/victim/new.txt", data: "from the archive" }],
      }),
    );

  it("refuses a root label the portal does not have, with a sentence that says what to do, and touches nothing", async () => {
    await archiveFor("foreign-root.zip");
    const victim = snapshotTree(testRoot("victim"));
    const site = snapshotTree(testRoot("site"));
    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, "foreign-root.zip", "both")).id, { safetyBackup: true }, settings);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(
      /The backup holds the folder "victim" \(from .*victim when it was made\), which is not one of the configured file roots \(site .*\): add that folder to the file roots in the settings, or restore from the command line with --map victim=<folder>/,
    );
    expect(snapshotTree(testRoot("victim"))).toEqual(victim);
    expect(snapshotTree(testRoot("site"))).toEqual(site);

    const cliRefusal = cli(["backup:restore", testRoot("var/backup", "foreign-root.zip"), "--only", "files", "--yes"]);
    expect(cliRefusal.status).toBe(1);
    expect(cliRefusal.stderr).toMatch(/not one of the configured file roots/);
    expect(snapshotTree(testRoot("victim"))).toEqual(victim);
  });

  it("restores such a root where --map says, and only there", async () => {
    await archiveFor("mapped-root.zip");
    const victim = snapshotTree(testRoot("victim"));
    const done = cli([
      "backup:restore",
      testRoot("var/backup", "mapped-root.zip"),
      "--only",
      "files",
      "--map",
      `victim=${testRoot("mapped")}`,
      "--yes",
      "--no-safety-backup",
    ]);
    expect(done.stderr).toBe("");
    expect(done.status).toBe(0);
    expect(done.stdout).toContain(`replaces the folder ${testRoot("mapped")} with 1 files`);
    expect(fs.readFileSync(testRoot("mapped/new.txt"), "utf8")).toBe("from the archive");
    expect(snapshotTree(testRoot("victim"))).toEqual(victim);

    // Two folders of the backup into one place: refused, nothing touched.
    await craftArchive(
      testRoot("var/backup", "two-roots.zip"),
      [
        { name: "files/site/index.html", kind: "file", data: "from the archive" },
        { name: "files/victim/new.txt", kind: "file", data: "from the archive" },
      ],
      craftedManifest({
        roots: [
          { label: "site", path: "/a" },
          { label: "victim", path: "/b" },
        ],
        files: [
          { entry: "files/site/index.html", data: "from the archive" },
          { entry: "files/victim/new.txt", data: "from the archive" },
        ],
      }),
    );
    const site = snapshotTree(testRoot("site"));
    const twice = cli([
      "backup:restore",
      testRoot("var/backup", "two-roots.zip"),
      "--only",
      "files",
      "--map",
      `victim=${testRoot("site")}`,
      "--yes",
      "--no-safety-backup",
    ]);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/The folders site and victim of the backup would both be restored into .*site/);
    expect(snapshotTree(testRoot("site"))).toEqual(site);

    const typo = cli(["backup:restore", testRoot("var/backup", "mapped-root.zip"), "--map", "nope", "--yes"]);
    expect(typo.status).not.toBe(0);
    expect(typo.stderr).toMatch(/--map takes label=folder/);
  });
});

describe("a folder swapped for a link while a backup runs", () => {
  it("does not put what the link points to in the archive, and says so", async () => {
    for (const dir of ["site", "outside"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    // Many files first, so the archiver is still busy with them when the swap comes.
    fs.mkdirSync(testRoot("site/aaa"), { recursive: true });
    for (let i = 0; i < 4000; i++) fs.writeFileSync(testRoot(`site/aaa/f-${String(i).padStart(5, "0")}.txt`), `file ${i}\n`.repeat(50));
    fs.mkdirSync(testRoot("site/zzz"));
    fs.writeFileSync(testRoot("site/zzz/shadow"), "an ordinary file of the site\n");
    fs.mkdirSync(testRoot("outside"));
    const secret = "root:$6$TOP-SECRET-HASH-0123456789:19000:0:99999:7:::";
    fs.writeFileSync(testRoot("outside/shadow"), secret);

    const walk = await walkRoots([testRoot("site")], []);
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "swap-")), "a.zip");
    let archived = 0;
    let swapped: number | null = null;
    const result = await writeBackupArchive({
      partFile: `${out}.part`,
      outFile: out,
      backupName: "t",
      walk,
      database: null,
      level: 0,
      log: { info() {}, warn() {}, error() {} },
      onBytes(n) {
        archived += n;
        // Half-way through the many files (long after the walk), another process swaps the folder, as an
        // attacker with write access to the site would. Waiting for it here makes the timing certain.
        if (swapped === null && archived > 1_000_000) {
          swapped = spawnSync("sh", ["-c", 'mv "$1/zzz" "$1/zzz-moved" && ln -s "$2" "$1/zzz"', "sh", testRoot("site"), testRoot("outside")]).status;
        }
      },
      onPhase() {},
    });
    expect(swapped).toBe(0);
    expect(fs.lstatSync(testRoot("site/zzz")).isSymbolicLink()).toBe(true);

    // Stored, not deflated: the secret would be there as plain bytes.
    expect(fs.readFileSync(out).includes(Buffer.from("TOP-SECRET"))).toBe(false);
    const unpacked = fs.mkdtempSync(path.join(os.tmpdir(), "swap-out-"));
    unzipTo(out, unpacked);
    expect(fs.existsSync(path.join(unpacked, "files/site/zzz/shadow"))).toBe(false);
    expect(result.warnings.join("\n")).toMatch(/zzz\/shadow is no longer the file the backup listed .*its content was not archived/);
    expect(fs.existsSync(path.join(unpacked, "files/site/aaa/f-03999.txt"))).toBe(true);
  });
});

describe("a folder flipping between itself and a link, from another process, for a whole backup after backup", () => {
  it("never lets the outside file into any archive", async () => {
    for (const dir of ["site", "outside"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site/sub"), { recursive: true });
    for (let i = 0; i < 200; i++) fs.writeFileSync(testRoot(`site/f-${i}.txt`), `file ${i}\n`);
    fs.mkdirSync(testRoot("site/sub/deeper"));
    fs.mkdirSync(testRoot("outside/deeper"), { recursive: true });
    for (let i = 0; i < 20; i++) {
      fs.writeFileSync(testRoot(`site/sub/shadow-${i}`), "an ordinary file of the site\n");
      fs.writeFileSync(testRoot(`site/sub/deeper/shadow-${i}`), "another ordinary file\n");
      fs.writeFileSync(testRoot(`outside/shadow-${i}`), "TOP-SECRET outside\n");
      fs.writeFileSync(testRoot(`outside/deeper/shadow-${i}`), "TOP-SECRET outside, deeper\n");
    }
    // The attacker, another process: swaps sub for a link to the outside folder and back by renames, as
    // fast as it can, the whole time.
    fs.symlinkSync(testRoot("outside"), testRoot("site/sub.link"));
    const flip = `const fs = require("fs"); process.chdir(process.argv[1]);
      for (;;) { fs.renameSync("sub", "sub.real"); fs.renameSync("sub.link", "sub"); fs.renameSync("sub", "sub.link"); fs.renameSync("sub.real", "sub"); }`;
    const flipper = spawn(process.execPath, ["-e", flip, testRoot("site")], { stdio: "ignore" });
    let sawLink = 0;
    try {
      for (let round = 0; round < 12; round++) {
        const walk = await walkRoots([testRoot("site")], []);
        const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "flip-")), "a.zip");
        const result = await writeBackupArchive({
          partFile: `${out}.part`,
          outFile: out,
          backupName: "t",
          walk,
          database: null,
          level: 0,
          log: { info() {}, warn() {}, error() {} },
          onBytes() {},
          onPhase() {},
        });
        expect(fs.readFileSync(out).includes(Buffer.from("TOP-SECRET")), `round ${round}: ${result.warnings.join("; ")}`).toBe(false);
        if (result.warnings.length) sawLink++;
      }
    } finally {
      flipper.kill("SIGKILL");
      await new Promise((resolve) => flipper.once("exit", resolve));
    }
    // The race was really run: some rounds met the link (and said so).
    expect(sawLink).toBeGreaterThan(0);
  });
});
