import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prisma } from "@/lib/db";
import { enqueueBackup, enqueueRestore, type RestoreParts } from "@/lib/backup/jobs/queue";
import { runBackup } from "@/lib/backup/jobs/run-backup";
import { runRestore } from "@/lib/backup/restore/run-restore";
import { loadSettings } from "@/lib/settings";
import { configure, freshSite, makeFileTree, makeSqliteDatabase, resetBackups, testRoot } from "./helpers/fixtures";
import {
  createMariaDb,
  createPostgresDb,
  fillMariaDb,
  fillPostgresDb,
  mariaDbFingerprint,
  mysqlQuery,
  pgQuery,
  postgresFingerprint,
  type TestDatabase,
  useFilledDatabase,
} from "./helpers/databases";
import { snapshotTree } from "./helpers/trees";

async function backUp() {
  const settings = await loadSettings();
  const done = await runBackup((await enqueueBackup(settings, null)).id, settings);
  expect(done.error).toBeNull();
  return done;
}

async function restore(fileName: string, parts: RestoreParts = "both") {
  const settings = await loadSettings();
  return runRestore((await enqueueRestore(settings, null, fileName, parts)).id, { safetyBackup: true }, settings);
}

const countPosts = (file: string) => {
  const db = new Database(file, { readonly: true });
  const n = (db.prepare("SELECT count(*) AS n FROM posts").get() as { n: number }).n;
  db.close();
  return n;
};

describe("restoring SQLite and files", () => {
  beforeEach(async () => {
    await resetBackups();
    for (const dir of ["site", "db"]) fs.rmSync(testRoot(dir), { recursive: true, force: true });
  });

  it("brings back the database and the exact tree, and keeps a safety backup of what it replaced", async () => {
    makeFileTree(testRoot("site"), { bigFiles: 1, bigFileBytes: 20_000_000 });
    fs.writeFileSync(testRoot("site/uploads/with space & ünïcode.txt"), "original\n");
    makeSqliteDatabase(testRoot("db/app.db"), 3000);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });
    const before = snapshotTree(testRoot("site"));
    const backup = await backUp();

    // The site moves on: edits, deletions, new files, new and lost rows.
    fs.writeFileSync(testRoot("site/index.html"), "changed");
    fs.rmSync(testRoot("site/deep"), { recursive: true });
    fs.rmSync(testRoot("site/empty-dir"), { recursive: true });
    fs.writeFileSync(testRoot("site/uploads/new-since-backup.txt"), "new");
    const db = new Database(testRoot("db/app.db"));
    db.exec("DELETE FROM posts WHERE id > 100; INSERT INTO posts (title) VALUES ('after backup')");
    db.close();
    const changed = snapshotTree(testRoot("site"));
    expect(changed).not.toEqual(before);

    const job = await restore(backup.fileName);
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(countPosts(testRoot("db/app.db"))).toBe(3000);

    // The safety backup holds the state the restore replaced.
    const safety = await prisma.backup.findUniqueOrThrow({ where: { fileName: job.safetyFileName! } });
    expect(safety.kind).toBe("safety");
    expect(safety.status).toBe("completed");
    const listing = execFileSync("unzip", ["-Z1", testRoot("var/backup", safety.fileName)], { encoding: "utf8" });
    expect(listing).toContain("files/site/uploads/new-since-backup.txt");
    // No staging or set-aside folders are left behind, nor the SQLite side files of a staged copy.
    expect(fs.readdirSync(testRoot()).filter((n) => n.startsWith(".safekeep"))).toEqual([]);
    for (const dir of [testRoot("var/backup"), testRoot("db")]) {
      expect(fs.readdirSync(dir).filter((n) => /\.part(-wal|-shm|-journal)?$/.test(n))).toEqual([]);
    }
  });

  it("restores only the files when asked, leaving the database alone", async () => {
    makeFileTree(testRoot("site"));
    makeSqliteDatabase(testRoot("db/app.db"), 500);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });
    const before = snapshotTree(testRoot("site"));
    const backup = await backUp();
    fs.writeFileSync(testRoot("site/index.html"), "changed");
    const db = new Database(testRoot("db/app.db"));
    db.exec("DELETE FROM posts");
    db.close();
    const job = await restore(backup.fileName, "files");
    expect(job.status).toBe("completed");
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(countPosts(testRoot("db/app.db"))).toBe(0);
  });

  it("restores the portal's own database without losing the records of archives on disk", async () => {
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    const first = await backUp();
    const later = await backUp();
    await prisma.user.create({ data: { email: "made-after@example.test", passwordHash: "x", roleId: 2 } });

    const job = await restore(first.fileName, "database");
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    // Accounts are today's unless the admin asks for the backup's (tests/restore-portal-history.test.ts).
    expect(await prisma.user.findUnique({ where: { email: "made-after@example.test" } })).not.toBeNull();
    const records = await prisma.backup.findMany({ orderBy: { id: "asc" } });
    const byName = new Map(records.map((r) => [r.fileName, r]));
    // The backup made after `first` and the safety backup are listed again, from their manifests.
    expect(byName.get(later.fileName)?.status).toBe("completed");
    expect(byName.get(job.safetyFileName!)?.kind).toBe("safety");
    // `first` was running when its own copy of the database was taken; it now reads completed.
    expect(byName.get(first.fileName)?.status).toBe("completed");
    expect(records.filter((r) => r.exclusiveSlot !== null)).toEqual([]);
    expect(byName.get(job.fileName)?.status).toBe("completed");
  });
});

describe("re-indexing the backup directory", () => {
  it("lists an archive dropped in by hand as not verified, and a verify job makes it a backup (or says why not)", async () => {
    await resetBackups();
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup", smtpHost: "" });
    const made = await backUp();
    fs.copyFileSync(testRoot("var/backup", made.fileName), testRoot("var/backup", "copied-by-hand.zip"));
    fs.writeFileSync(testRoot("var/backup", "not-a-backup.zip"), "just text");
    const { reindexBackupDir } = await import("@/lib/backup/restore/reindex");
    // A file that is not a zip at all is never listed; one that is (even a damaged one) is, as not verified.
    fs.writeFileSync(testRoot("var/backup", "damaged.zip"), Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), Buffer.from("then nothing")]));
    expect((await reindexBackupDir(await loadSettings())).sort()).toEqual(["copied-by-hand.zip", "damaged.zip"]);
    const record = await prisma.backup.findUniqueOrThrow({ where: { fileName: "copied-by-hand.zip" } });
    expect(record.status).toBe("unverified");
    expect(record.sizeBytes).toBe(fs.statSync(testRoot("var/backup", made.fileName)).size);
    expect(await reindexBackupDir(await loadSettings())).toEqual([]);
    // Not downloadable, not restorable while not verified.
    const { findDownload } = await import("@/lib/backup/requests/download");
    await expect(findDownload("copied-by-hand.zip", await loadSettings())).rejects.toMatchObject({ code: "not_found" });

    const { enqueueVerify } = await import("@/lib/backup/jobs/queue");
    const { runJob } = await import("@/lib/backup/jobs/run-job");
    const settings = await loadSettings();
    const good = await runJob((await enqueueVerify(settings, null, "copied-by-hand.zip")).id, { settings });
    expect(good.status).toBe("completed");
    const verified = await prisma.backup.findUniqueOrThrow({ where: { fileName: "copied-by-hand.zip" } });
    expect(verified.status).toBe("completed");
    expect(verified.sha256).toBe(made.sha256);

    const bad = await runJob((await enqueueVerify(settings, null, "damaged.zip")).id, { settings });
    expect(bad.status).toBe("failed");
    expect(bad.error).toMatch(/damaged\.zip did not pass the check: Not a readable zip archive/);
    expect(await prisma.backup.findUnique({ where: { fileName: "not-a-backup.zip" } })).toBeNull();
    const still = await prisma.backup.findUniqueOrThrow({ where: { fileName: "damaged.zip" } });
    expect(still.status).toBe("unverified");
    expect(still.error).toMatch(/did not pass/);
  });
});

describe("refusing bad archives, with nothing written", () => {
  let backupName: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    await resetBackups();
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    makeFileTree(testRoot("site"), { bigFiles: 1, bigFileBytes: 300_000 });
    // Past 1 MB an entry is read in pieces rather than whole.
    fs.writeFileSync(testRoot("site/big/large-random.bin"), randomBytes(3_000_000));
    makeSqliteDatabase(testRoot("db/app.db"), 100);
    await configure({ fileRoots: ["site"], databaseUrl: "file:db/app.db", backupDir: "var/backup" });
    backupName = (await backUp()).fileName;
    fs.writeFileSync(testRoot("site/index.html"), "current state");
    before = snapshotTree(testRoot("site"));
  });

  async function expectRefused(fileName: string, message: RegExp) {
    const job = await restore(fileName);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(message);
    expect(job.safetyFileName).toBeNull();
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(countPosts(testRoot("db/app.db"))).toBe(100);
    expect(fs.readdirSync(testRoot()).filter((n) => n.startsWith(".safekeep"))).toEqual([]);
    expect(fs.readdirSync(testRoot("var/backup")).filter((n) => n.endsWith(".part"))).toEqual([]);
  }

  function copyArchive(name: string, mutate: (bytes: Buffer) => Buffer): string {
    fs.writeFileSync(testRoot("var/backup", name), mutate(fs.readFileSync(testRoot("var/backup", backupName))));
    return name;
  }

  it("refuses an archive altered after it was made (recorded checksum)", async () => {
    const archive = testRoot("var/backup", backupName);
    const original = fs.readFileSync(archive);
    const tampered = Buffer.from(original);
    tampered[Math.floor(tampered.length / 2)]! ^= 0xff;
    fs.writeFileSync(archive, tampered);
    try {
      await expectRefused(backupName, /SHA-256 does not match/);
    } finally {
      fs.writeFileSync(archive, original);
    }
  });

  it("refuses a damaged entry even without a recorded checksum", async () => {
    // The big random file is stored as-is, so a flipped byte in its middle keeps the zip readable.
    const name = copyArchive("foreign-tampered.zip", (bytes) => {
      const copy = Buffer.from(bytes);
      const at = copy.indexOf(Buffer.from("big/blob-0.bin")) + 200_000;
      copy[at]! ^= 0xff;
      return copy;
    });
    await expectRefused(name, /damaged|could not be read/);
  });

  it.each([
    ["deflated", "big/large-random.bin", 8],
    ["stored", "big/large-random.bin", 0],
  ] as const)("refuses a large %s entry with one byte flipped past its first megabyte, naming it", async (_how, file, method) => {
    const entry = `files/site/${file}`;
    const name = copyArchive(`flipped-${method}.zip`, (bytes) => {
      // Ours deflates every large file; another tool (or zip -0) stores one as it is.
      const copy = method === 0 ? storedAgain(bytes, file) : Buffer.from(bytes);
      // Its central record (the name 46 bytes after the signature) says where its data is and how long.
      let record = -1;
      for (let at = copy.indexOf(entry); record === -1 && at !== -1; at = copy.indexOf(entry, at + 1)) {
        if (copy.readUInt32LE(at - 46) === 0x02014b50 && copy.readUInt16LE(at - 18) === entry.length) record = at - 46;
      }
      expect(copy.readUInt16LE(record + 10)).toBe(method);
      const compressed = copy.readUInt32LE(record + 20);
      expect(compressed).toBeGreaterThan(1024 * 1024);
      const local = copy.readUInt32LE(record + 42);
      copy[local + 30 + copy.readUInt16LE(local + 26) + copy.readUInt16LE(local + 28) + compressed - 1000]! ^= 0x55;
      return copy;
    });
    await expectRefused(name, new RegExp(`${entry.replace(/[./]/g, "\\$&")} (is damaged|could not be read)`));
  });

  /** The archive written again by Python's zipfile, every entry as it was but `file` stored instead of deflated. */
  function storedAgain(bytes: Buffer, file: string): Buffer {
    const script = `
import io, sys, zipfile
src, out = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read())), io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
    for info in src.infolist():
        data = src.read(info)
        info.compress_type = zipfile.ZIP_STORED if info.filename.endswith(sys.argv[1]) else zipfile.ZIP_DEFLATED
        z.writestr(info, data)
sys.stdout.buffer.write(out.getvalue())
`;
    return execFileSync("python3", ["-c", script, `/${file}`], { input: bytes, maxBuffer: 64 << 20 });
  }

  it("refuses a truncated archive", async () => {
    const name = copyArchive("truncated.zip", (bytes) => bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    await expectRefused(name, /Not a readable zip archive|damaged/);
  });

  it("refuses crafted archives: zip-slip, a file under a link, an unlisted entry, a lying manifest, no manifest", async () => {
    const manifest = (files: { entry: string; data: string }[], extra: Record<string, unknown> = {}) => ({
      formatVersion: 1,
      app: "safekeep",
      createdAt: new Date().toISOString(),
      backupName: "evil",
      source: { hostname: "x", fileRoots: [{ label: "site", path: "/tmp/site" }] },
      database: null,
      files: files.map((f) => ({
        entry: f.entry,
        size: Buffer.byteLength(f.data),
        sha256: createHash("sha256").update(f.data).digest("hex"),
        mode: 0o644,
        mtime: new Date().toISOString(),
      })),
      directories: [],
      symlinks: [],
      warnings: [],
      ...extra,
    });
    const cases: { name: string; build: string; message: RegExp }[] = [
      { name: "slip.zip", build: "slip", message: /unsafe|Unsafe/ },
      { name: "unlisted.zip", build: "unlisted", message: /does not list/ },
      { name: "link-out.zip", build: "link-out", message: /under the link "escape"/ },
      { name: "lying.zip", build: "lying", message: /damaged|different size/ },
      { name: "no-manifest.zip", build: "no-manifest", message: /no manifest/ },
    ];
    const outside = path.join(os.tmpdir(), `safekeep-evil-${randomBytes(4).toString("hex")}.txt`);
    for (const c of cases) {
      const py = {
        slip: [["files/site/../../../" + path.basename(outside), "pwned"]],
        unlisted: [
          ["files/site/ok.txt", "ok"],
          ["files/site/extra.txt", "extra"],
        ],
        "link-out": [["files/site/escape/" + path.basename(outside), "pwned"]],
        lying: [["files/site/ok.txt", "not what the manifest says"]],
        "no-manifest": [["files/site/ok.txt", "ok"]],
      }[c.build]!;
      const listed =
        c.build === "unlisted"
          ? [{ entry: "files/site/ok.txt", data: "ok" }]
          : c.build === "lying"
            ? [{ entry: "files/site/ok.txt", data: "the truth" }]
            : py.map(([entry, data]) => ({ entry: entry!, data: data! }));
      // A link may point anywhere (a site's links do); what is refused is an entry that would be written through it.
      const extra = c.build === "link-out" ? { symlinks: [{ entry: "files/site/escape", target: path.dirname(outside) }] } : {};
      const script = `
import json, sys, zipfile
out, manifest, entries, link = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
with zipfile.ZipFile(out, "w") as z:
    for name, data in entries:
        z.writestr(name, data)
    if link == "yes":
        info = zipfile.ZipInfo("files/site/escape")
        info.external_attr = (0o120777 << 16)
        z.writestr(info, sys.argv[5])
    if manifest != "none":
        z.writestr("manifest.json", manifest)
`;
      execFileSync("python3", [
        "-c",
        script,
        testRoot("var/backup", c.name),
        c.build === "no-manifest" ? "none" : JSON.stringify(manifest(listed, extra)),
        JSON.stringify(py),
        c.build === "link-out" ? "yes" : "no",
        path.dirname(outside),
      ]);
      await expectRefused(c.name, c.message);
    }
    expect(fs.existsSync(outside)).toBe(false);
  });
});

describe.each([
  {
    kind: "MariaDB",
    create: createMariaDb,
    fill: (db: TestDatabase) => fillMariaDb(db.name, 200_000),
    fingerprint: (db: TestDatabase) => mariaDbFingerprint(db.name),
    vandalise: (db: TestDatabase) =>
      mysqlQuery("DELETE FROM posts WHERE id % 3 = 0; UPDATE authors SET name = 'changed'; DROP TABLE audit; CREATE TABLE made_later (id INT);", db.name),
    tables: (db: TestDatabase) => mysqlQuery("SHOW TABLES", db.name).split("\n").sort(),
  },
  {
    kind: "PostgreSQL",
    create: createPostgresDb,
    fill: (db: TestDatabase) => fillPostgresDb(db.name, db.user, 200_000),
    fingerprint: (db: TestDatabase) => postgresFingerprint(db.name),
    vandalise: (db: TestDatabase) =>
      pgQuery(
        `SET ROLE ${db.user}; DELETE FROM posts WHERE id % 3 = 0; UPDATE authors SET name = 'changed'; DROP TABLE audit; CREATE TABLE made_later (id int);`,
        db.name,
      ),
    tables: (db: TestDatabase) =>
      pgQuery("SELECT string_agg(tablename, E'\\n' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'", db.name).split("\n").sort(),
  },
])("restoring $kind", ({ create, fill, fingerprint, vandalise, tables }) => {
  const database = useFilledDatabase(create, fill);
  let db: TestDatabase;
  beforeEach(async () => {
    db = database();
    await freshSite();
  });

  it("gives back exactly the data it had: rows, binary columns, NULLs, emoji, the view and the trigger", async () => {
    await configure({ databaseUrl: db.url, fileRoots: ["site"], backupDir: "var/backup" });
    const original = fingerprint(db);
    const originalTables = tables(db);
    const backup = await backUp();
    vandalise(db);
    expect(fingerprint(db)).not.toEqual(original);

    const job = await restore(backup.fileName, "database");
    expect(job.error).toBeNull();
    expect(job.status).toBe("completed");
    expect(fingerprint(db)).toEqual(original);
    expect(tables(db)).toEqual(originalTables);
  });

  it("rolls back to the safety backup when loading dies part-way", async () => {
    const fakeBin = fs.mkdtempSync(path.join(os.tmpdir(), "fakebin-"));
    const real = (p: string) => execFileSync("sh", ["-c", `command -v ${p}`], { encoding: "utf8" }).trim();
    const dumpName = db.url.startsWith("mysql") ? "mysqldump" : "pg_dump";
    const clientName = db.url.startsWith("mysql") ? "mysql" : "psql";
    fs.symlinkSync(real(dumpName), path.join(fakeBin, dumpName));
    // The client loses its connection after 300 kB of the dump, once; afterwards it works again.
    const marker = path.join(fakeBin, "failed-once");
    fs.writeFileSync(
      path.join(fakeBin, clientName),
      `#!/bin/sh
if [ -t 0 ] || [ -e "${marker}" ] || ! echo "$@" | grep -q -- "${clientName === "psql" ? "single-transaction" : "utf8mb4"}"; then exec ${real(clientName)} "$@"; fi
touch "${marker}"
head -c 300000 | ${real(clientName)} "$@"
exit 1
`,
      { mode: 0o755 },
    );
    await configure({
      databaseUrl: db.url,
      fileRoots: ["site"],
      backupDir: "var/backup",
      mysqldumpPath: path.join(fakeBin, "mysqldump"),
      pgDumpPath: path.join(fakeBin, "pg_dump"),
    });

    const backup = await backUp();
    vandalise(db);
    const vandalised = fingerprint(db);
    const vandalisedTables = tables(db);

    const job = await restore(backup.fileName, "database");
    expect(fs.existsSync(marker)).toBe(true);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/Restore failed: .*Everything was put back as it was before the restore \(safety backup .*-safety-/);
    expect(fingerprint(db)).toEqual(vandalised);
    expect(tables(db)).toEqual(vandalisedTables);
    // The database is back to what it was, ready for the next restore.
    mysqlQuery("SELECT 1");
  });
});

describe("more crafted archives", () => {
  function craft(name: string, entries: [string, string][], manifestFor: [string, string][]): string {
    const manifest = {
      formatVersion: 1,
      app: "safekeep",
      createdAt: new Date().toISOString(),
      backupName: "evil",
      source: { hostname: "x", fileRoots: [{ label: "site", path: testRoot("site") }] },
      database: null,
      files: manifestFor.map(([entry, data]) => ({
        entry,
        size: Buffer.byteLength(data),
        sha256: createHash("sha256").update(data).digest("hex"),
        mode: 0o644,
        mtime: new Date().toISOString(),
      })),
      directories: [],
      symlinks: [],
      warnings: [],
    };
    const script = `
import json, sys, warnings, zipfile
warnings.simplefilter("ignore")
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for entry, data in json.loads(sys.argv[2]):
        info = zipfile.ZipInfo("x")
        info.filename = entry
        z.writestr(info, data)
    z.writestr("manifest.json", sys.argv[3])
`;
    execFileSync("python3", ["-c", script, testRoot("var/backup", name), JSON.stringify(entries), JSON.stringify(manifest)]);
    return name;
  }

  beforeAll(async () => {
    await resetBackups();
    fs.rmSync(testRoot("site"), { recursive: true, force: true });
    makeFileTree(testRoot("site"));
    await configure({ fileRoots: ["site"], databaseUrl: "", backupDir: "var/backup" });
    fs.mkdirSync(testRoot("var/backup"), { recursive: true });
  });

  it.each([
    ["small", 1000],
    ["large", 2 * 1024 * 1024],
  ] as const)("refuses a zip bomb (%s declared size: 200 MB of zeros behind it) with nothing written", async (_what, declared) => {
    // The manifest and the central directory agree on a small size; the data inflates to 200 MB.
    const name = `bomb-${declared}.zip`;
    const script = `
import struct, sys, zipfile
out, declared = sys.argv[1], int(sys.argv[2])
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("files/site/bomb.bin", "w", force_zip64=False) as f:
        chunk = bytes(1 << 20)
        for _ in range(200):
            f.write(chunk)
    z.writestr("manifest.json", sys.argv[3])
data = bytearray(open(out, "rb").read())
info = zipfile.ZipFile(out).getinfo("files/site/bomb.bin")
struct.pack_into("<I", data, info.header_offset + 22, declared)
cd = data.find(b"PK\x01\x02")
struct.pack_into("<I", data, cd + 24, declared)
open(out, "wb").write(data)
`;
    const manifest = {
      formatVersion: 1,
      app: "safekeep",
      createdAt: new Date().toISOString(),
      backupName: "bomb",
      source: { hostname: "x", fileRoots: [{ label: "site", path: testRoot("site") }] },
      database: null,
      files: [
        {
          entry: "files/site/bomb.bin",
          size: declared,
          sha256: createHash("sha256").update(Buffer.alloc(declared)).digest("hex"),
          mode: 0o644,
          mtime: new Date().toISOString(),
        },
      ],
      directories: [],
      symlinks: [],
      warnings: [],
    };
    execFileSync("python3", ["-c", script, testRoot("var/backup", name), String(declared), JSON.stringify(manifest)]);
    expect(fs.statSync(testRoot("var/backup", name)).size).toBeLessThan(1024 * 1024);
    const before = snapshotTree(testRoot("site"));
    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, name, "files")).id, { safetyBackup: true }, settings);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(/bomb\.bin could not be read from the archive: .*(larger than|more data than the declared)/);
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(fs.readdirSync(testRoot()).filter((f) => f.includes("staging") || f.startsWith(".safekeep"))).toEqual([]);
  });

  it.each([
    [
      "duplicate entries",
      "dup.zip",
      [
        ["files/site/ok.txt", "one"],
        ["files/site/ok.txt", "two"],
      ],
      [["files/site/ok.txt", "one"]],
      /holds files\/site\/ok\.txt twice/,
    ],
    ["an absolute path", "abs.zip", [["/tmp/safekeep-absolute-evil.txt", "x"]], [["files/site/ok.txt", "x"]], /unsafe or damaged entry|Unsafe path/],
  ] as const)("refuses %s with nothing written", async (_what, name, entries, listed, message) => {
    const before = snapshotTree(testRoot("site"));
    craft(
      name,
      entries.map(([a, b]) => [a, b]),
      listed.map(([a, b]) => [a, b]),
    );
    const settings = await loadSettings();
    const job = await runRestore((await enqueueRestore(settings, null, name, "files")).id, { safetyBackup: true }, settings);
    expect(job.status).toBe("failed");
    expect(job.error).toMatch(message);
    expect(snapshotTree(testRoot("site"))).toEqual(before);
    expect(fs.existsSync("/tmp/safekeep-absolute-evil.txt")).toBe(false);
  });
});
