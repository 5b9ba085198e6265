import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { manifestSchema } from "@/lib/backup/archive/manifest";
import { walkRoots } from "@/lib/backup/archive/walk";
import { writeBackupArchive } from "@/lib/backup/archive/write-archive";
import { enqueueBackup, enqueueRestore, type RestoreParts } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { verifyAndStage } from "@/lib/backup/restore/extract";
import { inspectArchive } from "@/lib/backup/restore/inspect";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { craftArchive, craftedManifest } from "./helpers/craft-archive";
import { configure, resetBackups, testRoot, unzipTo } from "./helpers/fixtures";
import { rawSnapshot, seeded } from "./helpers/raw-trees";

const asRoot = process.getuid!() === 0;
const cli = (args: string[]) => spawnSync(process.execPath, [process.env.SAFEKEEP_CLI!, ...args], { encoding: "utf8", env: process.env });
const b = (text: string) => Buffer.from(text);
const under = (dir: string, name: Buffer | string) => Buffer.concat([b(dir), b("/"), Buffer.from(name)]);

async function backUp() {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(done.error).toBeNull();
  expect(done.status).toBe("completed");
  return done;
}

async function restore(fileName: string, parts: RestoreParts = "files", safetyBackup = true) {
  const settings = await loadSettings();
  return runRestore((await enqueueRestore(settings, null, fileName, parts)).id, { safetyBackup }, settings);
}

/** What `backup:verify` does, in this process: the structure, then every entry's checksum. */
async function verify(file: string) {
  const archive = await inspectArchive(file);
  try {
    await verifyAndStage(archive, { fileRoots: new Map(), databaseFile: null, onBytes: () => {} });
  } finally {
    archive.close();
  }
  return archive.manifest;
}

function manifestOf(file: string) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-"));
  execFileSync("unzip", ["-q", file, "manifest.json", "-d", out]);
  return manifestSchema.parse(JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8")));
}

/** Empties a root and leaves something else in it: what a restore must undo. */
function vandalise(root: string) {
  for (const name of fs.readdirSync(root, { encoding: "buffer" })) fs.rmSync(under(root, name) as unknown as string, { recursive: true, force: true });
  fs.writeFileSync(path.join(root, "junk-since-backup.txt"), "junk");
  fs.chmodSync(root, 0o700);
}

const FILE_MODES = [0o644, 0o600, 0o755, 0o444, 0o640, 0o4755, 0o2750, 0o700];
const DIR_MODES = [0o755, 0o700, 0o750, 0o775, 0o1777, 0o2775, 0o555];
const OWNERS = asRoot ? [0, 1000, 1001, 65534] : [process.getuid!()];
const GROUPS = asRoot ? [0, 1000, 1002, 65534] : [process.getgid!()];

/**
 * A random site tree from a seed: names of random bytes (invalid UTF-8, backslashes, control characters,
 * names that look like another's escaped form), deep folders, empty folders, links inside, outside and
 * absolute (some dangling, some with targets that are not UTF-8), modes with special bits, owners,
 * dates, sizes from 0 B to a few MB.
 */
function randomTree(root: string, seed: number): void {
  const r = seeded(seed);
  let bigFiles = 0;
  const date = () => new Date(Date.UTC(2001, 0, 1) + r.int(0, 24 * 365 * 24 * 3600) * 1000 + r.int(0, 999));
  const setMeta = (at: Buffer, mode: number | null) => {
    const p = at as unknown as string;
    if (asRoot) fs.lchownSync(p, r.pick(OWNERS), r.pick(GROUPS));
    if (mode !== null) fs.chmodSync(p, mode);
    const when = date();
    fs.lutimesSync(p, when, when);
  };
  const name = (used: Set<string>): Buffer => {
    for (;;) {
      const kind = r.int(0, 9);
      const ascii = () => Array.from({ length: r.int(1, 10) }, () => r.pick([..."abcdefghijklmnopqrstuvwxyzABC0123456789._- "])).join("");
      const made =
        kind <= 3
          ? b(ascii())
          : kind === 4
            ? b(`ünï ${ascii()} 🌍`)
            : kind === 5
              ? Buffer.concat([b(ascii()), Buffer.from([r.int(0x80, 0xff)]), b(ascii())])
              : kind === 6
                ? b(`C:\\fakepath\\${ascii()}.jpg`)
                : kind === 7
                  ? b(`line\nbreak\t${ascii()}`)
                  : kind === 8
                    ? b(`${ascii()}%E9~2`)
                    : Buffer.from(Array.from({ length: r.int(1, 12) }, () => r.pick([r.int(1, 0x2e), r.int(0x30, 0xff)])));
      const key = made.toString("hex");
      if (made.equals(b(".")) || made.equals(b("..")) || used.has(key)) continue;
      used.add(key);
      return made;
    }
  };
  const fill = (dir: Buffer, depth: number) => {
    const used = new Set<string>();
    const count = r.int(depth === 0 ? 8 : 0, depth < 3 ? 9 : 4);
    const siblings: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const at = Buffer.concat([dir, b("/"), name(used)]);
      const kind = r.next();
      if (kind < 0.55) {
        const big = bigFiles < 2 && r.next() < 0.04;
        if (big) bigFiles++;
        const size = big ? r.int(1_000_000, 3_000_000) : r.next() < 0.1 ? r.int(4000, 200_000) : r.int(0, 4000);
        fs.writeFileSync(at as unknown as string, r.next() < 0.5 ? randomBytes(size) : Buffer.alloc(size, r.int(0, 255)));
        setMeta(at, r.pick(FILE_MODES));
      } else if (kind < 0.8 && depth < 7) {
        fs.mkdirSync(at as unknown as string);
        fill(at, depth + 1);
        setMeta(at, r.pick(DIR_MODES));
      } else if (kind < 0.85) {
        fs.mkdirSync(at as unknown as string);
        setMeta(at, r.pick(DIR_MODES));
      } else {
        const target = r.pick([
          siblings[0] ?? b("."),
          b(`${"../".repeat(r.int(1, depth + 3))}outside`),
          b("/srv/app/storage"),
          b("/etc"),
          b("does/not/exist"),
          Buffer.concat([b("caf"), Buffer.from([0xe9]), b(".txt")]),
          b("C:\\windows\\path"),
        ]);
        fs.symlinkSync(target as unknown as string, at as unknown as string);
        setMeta(at, null);
      }
      siblings.push(at.subarray(dir.length + 1));
    }
  };
  fs.mkdirSync(root, { recursive: true });
  // In every tree: a name and the escaped form of another, side by side.
  fs.writeFileSync(under(root, Buffer.concat([b("caf"), Buffer.from([0xe9]), b(".txt")])) as unknown as string, "latin-1 name");
  fs.writeFileSync(path.join(root, "caf%E9.txt"), "a name that looks escaped");
  fill(b(root), 0);
  setMeta(b(root), 0o751);
}

describe("backup → verify → restore gives the identical tree (property test)", () => {
  beforeEach(async () => {
    await resetBackups();
    fs.rmSync(testRoot("prop-site"), { recursive: true, force: true });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])("seed %i", async (seed) => {
    const root = testRoot("prop-site");
    randomTree(root, seed);
    await configure({ fileRoots: ["prop-site"], databaseUrl: "", backupDir: "var/backup" });
    const before = rawSnapshot(root);
    expect(Object.keys(before).length).toBeGreaterThan(3);

    const backup = await backUp();
    const archive = testRoot("var/backup", backup.fileName);
    const manifest = await verify(archive);
    expect(manifest.formatVersion).toBe(2);
    expect(manifest.warnings).toEqual([]);
    execFileSync("unzip", ["-tq", archive]);

    vandalise(root);
    expect(rawSnapshot(root)).not.toEqual(before);
    const job = await restore(backup.fileName, "files", seed % 2 === 1);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(rawSnapshot(root)).toEqual(before);
    expect(fs.readdirSync(testRoot()).filter((n) => n.startsWith(".safekeep"))).toEqual([]);
  });
});

describe("each case of issue 11, backed up, verified and restored", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "shared", "app", "data"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
    fs.mkdirSync(testRoot("site"), { recursive: true });
  });

  async function roundTrip(root = "site") {
    await configure({ fileRoots: [root], databaseUrl: "", backupDir: "var/backup" });
    const before = rawSnapshot(testRoot(root));
    const backup = await backUp();
    const archive = testRoot("var/backup", backup.fileName);
    const verified = cli(["backup:verify", archive]);
    expect(verified.stderr).toBe("");
    expect(verified.status).toBe(0);
    vandalise(testRoot(root));
    const job = await restore(backup.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(rawSnapshot(testRoot(root))).toEqual(before);
    return { backup, archive };
  }

  it("a link pointing out of its root, absolute or relative, comes back as that link, and nothing is written where it points", async () => {
    fs.mkdirSync(testRoot("site/public"));
    fs.symlinkSync("/srv/app/storage", testRoot("site/public/storage"));
    fs.mkdirSync(testRoot("shared"));
    fs.writeFileSync(testRoot("shared/config.php"), "outside the root");
    fs.symlinkSync("../shared", testRoot("site/shared"));
    fs.writeFileSync(testRoot("site/index.php"), "<?php");
    const { archive } = await roundTrip();
    expect(manifestOf(archive).symlinks.map((l) => [l.entry, l.target])).toEqual([
      ["files/site/public/storage", "/srv/app/storage"],
      ["files/site/shared", "../shared"],
    ]);
    expect(fs.readlinkSync(testRoot("site/shared"))).toBe("../shared");
    expect(fs.readdirSync(testRoot("shared"))).toEqual(["config.php"]);
  });

  it("a browser upload's name, C:\\fakepath\\photo.jpg, is kept byte for byte", async () => {
    const photo = randomBytes(5000);
    fs.writeFileSync(testRoot("site/C:\\fakepath\\photo.jpg"), photo);
    const { archive } = await roundTrip();
    expect(fs.readFileSync(testRoot("site/C:\\fakepath\\photo.jpg")).equals(photo)).toBe(true);
    // In the zip under a name no reader takes for folders; the real name is in the manifest.
    const listing = execFileSync("unzip", ["-Z1", archive], { encoding: "utf8" });
    expect(listing).toContain("files/site/C:%5Cfakepath%5Cphoto.jpg");
  });

  it("a name that is not UTF-8 (caf\\xe9.txt) is archived and a files restore brings it back instead of deleting it", async () => {
    const latin1 = under(testRoot("site"), Buffer.from("caf\xe9.txt", "latin1"));
    fs.writeFileSync(latin1 as unknown as string, "from an old FTP upload");
    const { archive } = await roundTrip();
    const manifest = manifestOf(archive);
    expect(manifest.files.map((f) => [f.entry, f.raw && Buffer.from(f.raw, "base64").toString("latin1")])).toEqual([["files/site/caf%E9.txt", "caf\xe9.txt"]]);
    expect(fs.readFileSync(latin1 as unknown as string, "utf8")).toBe("from an old FTP upload");
  });

  it("a root that is itself a link is restored into the folder it points to, and the link stays", async () => {
    fs.mkdirSync(testRoot("data/storage/uploads"), { recursive: true });
    fs.writeFileSync(testRoot("data/storage/uploads/a.txt"), "real data");
    fs.mkdirSync(testRoot("app"));
    fs.symlinkSync("../data/storage", testRoot("app/storage"));
    await configure({ fileRoots: ["app/storage"], databaseUrl: "", backupDir: "var/backup" });
    const before = rawSnapshot(testRoot("data/storage"));
    const backup = await backUp();
    fs.writeFileSync(testRoot("data/storage/uploads/a.txt"), "changed");
    fs.writeFileSync(testRoot("data/storage/new.txt"), "new");
    const job = await restore(backup.fileName);
    expect(job.error).toBeNull();
    expect(fs.lstatSync(testRoot("app/storage")).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(testRoot("app/storage"))).toBe("../data/storage");
    expect(rawSnapshot(testRoot("data/storage"))).toEqual(before);
    expect(fs.readdirSync(testRoot("data")).filter((n) => n.startsWith(".safekeep"))).toEqual([]);
  });

  it("modes, owners and dates come back, the root's own included (not 0700)", async () => {
    fs.mkdirSync(testRoot("site/cache"));
    fs.writeFileSync(testRoot("site/cache/page.html"), "cached");
    fs.writeFileSync(testRoot("site/run.sh"), "#!/bin/sh\n");
    fs.chmodSync(testRoot("site/run.sh"), 0o4755);
    fs.chmodSync(testRoot("site/cache"), 0o2775);
    fs.chmodSync(testRoot("site"), 0o755);
    if (asRoot) {
      fs.chownSync(testRoot("site"), 33, 33);
      fs.chownSync(testRoot("site/cache"), 33, 1000);
      fs.chownSync(testRoot("site/cache/page.html"), 33, 33);
    }
    const old = new Date("2019-05-04T03:02:01.123Z");
    for (const p of ["site/cache/page.html", "site/run.sh", "site/cache", "site"]) fs.utimesSync(testRoot(p), old, old);
    await roundTrip();
    expect(fs.statSync(testRoot("site")).mode & 0o7777).toBe(0o755);
    if (asRoot) expect(fs.statSync(testRoot("site/cache")).uid).toBe(33);
    expect(fs.statSync(testRoot("site/run.sh")).mode & 0o7777).toBe(0o4755);
    expect(fs.statSync(testRoot("site/cache")).mtime.toISOString()).toBe(old.toISOString());
  });

  it("empty folders, deep ones included, come back", async () => {
    fs.mkdirSync(testRoot("site/a/b/c/d/e/f/g/h"), { recursive: true });
    fs.mkdirSync(testRoot("site/empty"));
    await roundTrip();
    expect(fs.readdirSync(testRoot("site/a/b/c/d/e/f/g/h"))).toEqual([]);
  });

  it("with the backup directory inside a file root: it is not backed up, and a restore neither moves nor deletes any backup", async () => {
    fs.writeFileSync(testRoot("site/index.html"), "v1");
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "site/private/backups" });
    const first = await backUp();
    const archive = testRoot("site/private/backups", first.fileName);
    expect(execFileSync("unzip", ["-Z1", archive], { encoding: "utf8" })).not.toMatch(/backups/);
    fs.writeFileSync(testRoot("site/index.html"), "v2");
    fs.writeFileSync(testRoot("site/private/notes.txt"), "since");
    const backupsDir = fs.statSync(testRoot("site/private/backups"));

    const job = await restore(first.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(fs.readFileSync(testRoot("site/index.html"), "utf8")).toBe("v1");
    expect(fs.existsSync(testRoot("site/private/notes.txt"))).toBe(false);
    // The same folder (never moved), with every archive in it, the safety backup included.
    expect(fs.statSync(testRoot("site/private/backups")).ino).toBe(backupsDir.ino);
    const left = fs.readdirSync(testRoot("site/private/backups"));
    expect(left).toContain(first.fileName);
    expect(left).toContain(job.safetyFileName);
    const records = await prisma.backup.findMany({ where: { kind: { in: ["backup", "safety"] } } });
    for (const record of records) expect(fs.existsSync(testRoot("site/private/backups", record.fileName)), record.fileName).toBe(true);
    expect(cli(["backup:verify", testRoot("site/private/backups", job.safetyFileName!)]).status).toBe(0);
  });

  it("what a zip cannot hold (a socket, a FIFO, a device) is a warning the archive writer returns, not a silent skip", async () => {
    fs.writeFileSync(testRoot("site/keep.txt"), "kept");
    execFileSync("mkfifo", [testRoot("site/queue.fifo")]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(testRoot("site/app.sock"), resolve));
    const device = spawnSync("mknod", [testRoot("site/null-device"), "c", "1", "3"]).status === 0;
    try {
      const walk = await walkRoots([testRoot("site")], []);
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "warn-")), "a.zip");
      const result = await writeBackupArchive({
        partFile: `${out}.part`,
        outFile: out,
        backupName: "t",
        walk,
        database: null,
        level: 6,
        log: { info() {}, warn() {}, error() {} },
        onBytes() {},
        onPhase() {},
      });
      const warnings = result.warnings.join("\n");
      expect(warnings).toMatch(/app\.sock is a socket, which a backup cannot hold/);
      expect(warnings).toMatch(/queue\.fifo is a FIFO \(named pipe\), which a backup cannot hold/);
      if (device) expect(warnings).toMatch(/null-device is a device, which a backup cannot hold/);
      expect(manifestOf(out).warnings).toEqual(result.warnings);
    } finally {
      server.close();
    }
  });

  it("an archive of the previous format (1) still verifies and restores, a backslash name and a link out of its root included", async () => {
    fs.writeFileSync(testRoot("site/current.txt"), "current");
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
    const name = "safekeep-20260101-000000-999.zip";
    await craftArchive(
      testRoot("var/backup", name),
      [
        { name: "files/site/docs/", kind: "directory" },
        { name: "files/site/docs/C:\\fakepath\\photo.jpg", kind: "file", data: "jpeg bytes" },
        { name: "files/site/index.html", kind: "file", data: "<h1>v1</h1>" },
        { name: "files/site/storage", kind: "symlink", data: "/srv/app/storage" },
      ],
      craftedManifest({
        formatVersion: 1,
        roots: [{ label: "site", path: "/old/place/site" }],
        directories: ["files/site/docs/"],
        files: [
          { entry: "files/site/docs/C:\\fakepath\\photo.jpg", data: "jpeg bytes" },
          { entry: "files/site/index.html", data: "<h1>v1</h1>" },
        ],
        symlinks: [{ entry: "files/site/storage", target: "/srv/app/storage" }],
      }),
    );
    expect(cli(["backup:verify", testRoot("var/backup", name)]).status).toBe(0);
    const job = await restore(name);
    expect(job.error).toBeNull();
    expect(fs.readFileSync(testRoot("site/docs/C:\\fakepath\\photo.jpg"), "utf8")).toBe("jpeg bytes");
    expect(fs.readlinkSync(testRoot("site/storage"))).toBe("/srv/app/storage");
    expect(fs.existsSync(testRoot("site/current.txt"))).toBe(false);
  });

  it("real zip readers (unzip, 7z, bsdtar) test an archive with odd names as sound", async () => {
    for (const name of ["C:\\fakepath\\photo.jpg", "line\nbreak", "ünïcødé 🌍.txt", "100% done", "tab\there"]) fs.writeFileSync(testRoot("site", name), name);
    fs.writeFileSync(under(testRoot("site"), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0xff])) as unknown as string, "bytes");
    fs.symlinkSync("/etc/hostname", testRoot("site/abs-link"));
    fs.mkdirSync(testRoot("site/empty"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const archive = testRoot("var/backup", (await backUp()).fileName);
    execFileSync("unzip", ["-tq", archive]);
    expect(execFileSync("7z", ["t", archive], { encoding: "utf8" })).toMatch(/Everything is Ok/);
    const listed = execFileSync("bsdtar", ["-tf", archive], { encoding: "utf8" });
    expect(listed).toContain("files/site/caf%E9%FF");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "odd-"));
    unzipTo(archive, out);
    expect(fs.readFileSync(path.join(out, "files/site/ünïcødé 🌍.txt"), "utf8")).toBe("ünïcødé 🌍.txt");
  });
});
